"""Auto-triage, done explainably: every suggestion names the rule (or the photo) that caused it.

- Keyword rules (admin-editable, Chinese and English) suggest a category and may raise the
  severity: "漏气" / "gas leak" → gas safety, critical. Raising is applied at once (erring on the
  side of caution costs little); a different category is only suggested, for a person to accept.
- A perceptual hash per photo flags a photo nearly identical to one of an earlier report (checked
  when the photos are processed, after the report commits: hazards.reports.photos)
  (a re-sent photo, or the same scene reported twice). The lookup is index-backed: each 64-bit
  hash is stored as four 16-bit bands, and two hashes within Hamming distance 3 share a band.
- Open hazards of the same category within 50 m of the last 72 h are stored as possible
  duplicates too, so that the dispatcher sees what the reporter was shown.

These functions compute unsaved TriageSuggestion rows; hazards.reports.services (at intake) and
hazards.reports.photos (after the photos are processed) save them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from govern.media.hashing import phash_distance
from govern.media.renditions import ProcessedPhoto
from hazards import conf
from hazards.models import Hazard, HazardPhoto, PhotoStatus, SuggestionKind, TriageRule, TriageSuggestion


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def matching_keyword(rule: TriageRule, text: str) -> str | None:
    """The first keyword of the rule found in the text (case- and whitespace-insensitive)."""
    haystack = _normalise(text)
    for keyword in rule.keyword_list():
        if _normalise(keyword) and _normalise(keyword) in haystack:
            return keyword
    return None


def keyword_suggestions(*, hazard: Hazard, rules: Iterable[TriageRule]) -> list[TriageSuggestion]:
    suggestions = []
    for rule in rules:
        keyword = matching_keyword(rule, hazard.description)
        if keyword is None:
            continue
        category = rule.suggest_category if rule.suggest_category_id != hazard.category_id else None
        if category is None and not rule.raise_severity:
            continue  # the rule would only confirm the reporter's own choice of category
        suggestions.append(
            TriageSuggestion(
                hazard=hazard,
                kind=SuggestionKind.KEYWORD,
                rule=rule,
                rule_name=rule.name,
                matched=keyword[:80],
                suggested_category=category,
                suggested_severity=rule.raise_severity,
            )
        )
    return suggestions


def similar_photo_suggestions(*, hazard: Hazard, photos: Sequence[ProcessedPhoto]) -> list[TriageSuggestion]:
    """Earlier reports' photos within the Hamming threshold of any of these photos (best match per hazard)."""
    if not photos:
        return []
    band_filter = Q()
    for photo in photos:
        b0, b1, b2, b3 = photo.phash_bands
        band_filter |= Q(phash_b0=b0) | Q(phash_b1=b1) | Q(phash_b2=b2) | Q(phash_b3=b3)
    since = timezone.now() - timedelta(days=conf.phash_window_days())
    candidates = (
        HazardPhoto.objects.filter(band_filter, status=PhotoStatus.READY, created_at__gte=since)
        .exclude(hazard_id=hazard.pk)
        .values_list("hazard_id", "phash")
        .order_by("-id")[:200]
    )
    threshold = conf.phash_max_distance()
    best: dict[int, int] = {}
    for other_hazard_id, other_hash in candidates:
        distance = min(phash_distance(photo.phash, other_hash) for photo in photos)
        if distance <= threshold and distance < best.get(other_hazard_id, 65):
            best[other_hazard_id] = distance
    return [
        TriageSuggestion(
            hazard=hazard,
            kind=SuggestionKind.SIMILAR_PHOTO,
            rule_name="perceptual hash",
            matched=f"{distance}/64",
            similar_hazard_id=other_id,
            distance=distance,
        )
        for other_id, distance in sorted(best.items(), key=lambda item: (item[1], -item[0]))[:5]
    ]


def nearby_suggestions(*, hazard: Hazard, nearby: Sequence) -> list[TriageSuggestion]:
    return [
        TriageSuggestion(
            hazard=hazard,
            kind=SuggestionKind.NEARBY,
            rule_name=f"same category within {conf.duplicate_radius_m():.0f} m, last {conf.duplicate_window_hours()} h",
            matched=f"{round(item.distance_m)} m",
            similar_hazard_id=item.id,
            distance=round(item.distance_m, 1),
        )
        for item in nearby
    ]
