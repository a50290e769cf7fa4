"""Auto-triage: keyword rules (Chinese and English) and near-identical photos, explained."""

from __future__ import annotations

import pytest

from hazards.models import SuggestionKind, TriageRule
from tests.hazards.conftest import as_user
from tests.hazards.images import encode, scene, upload

pytestmark = pytest.mark.django_db


def _suggestions(hazard, kind=None):
    qs = hazard.suggestions.order_by("id")
    return list(qs.filter(kind=kind) if kind else qs)


def test_gas_leak_in_chinese_raises_to_critical_and_names_the_rule(make_hazard):
    hazard = make_hazard(category="other", description="饭店后厨好像漏气了，味道很大")
    hazard.refresh_from_db()
    assert hazard.severity == "critical" and hazard.category.slug == "other"  # category only suggested
    [suggestion] = _suggestions(hazard, SuggestionKind.KEYWORD)
    assert suggestion.rule_name == "燃气泄漏 gas leak" and suggestion.matched == "漏气"
    assert suggestion.suggested_category.slug == "gas-safety" and suggestion.suggested_severity == "critical"
    assert suggestion.applied is True


def test_english_keywords_match_case_insensitively(make_hazard):
    hazard = make_hazard(category="gas-safety", description="Strong  SMELL OF GAS in the stairwell")
    hazard.refresh_from_db()
    assert hazard.severity == "critical"
    [suggestion] = _suggestions(hazard, SuggestionKind.KEYWORD)
    assert suggestion.matched == "smell of gas" and suggestion.suggested_category is None  # already gas safety


def test_category_suggestion_without_severity_and_no_match(make_hazard):
    hazard = make_hazard(category="other", description="小区消防通道被三轮车堵住了")
    hazard.refresh_from_db()
    assert hazard.severity == "low"
    [suggestion] = _suggestions(hazard, SuggestionKind.KEYWORD)
    assert suggestion.suggested_category.slug == "fire-passage" and not suggestion.applied
    quiet = make_hazard(category="traffic-safety", description="路灯不亮")
    assert _suggestions(quiet) == []


def test_rules_are_admin_editable(make_hazard, categories):
    TriageRule.objects.create(
        name="井盖 manhole",
        keywords="井盖\nmanhole",
        suggest_category=categories["traffic-safety"],
        raise_severity="high",
    )
    TriageRule.objects.filter(name__startswith="燃气泄漏").update(active=False)
    hazard = make_hazard(category="other", description="Missing MANHOLE cover; also 漏气")
    hazard.refresh_from_db()
    assert hazard.severity == "high"
    assert [s.rule_name for s in _suggestions(hazard, SuggestionKind.KEYWORD)] == ["井盖 manhole"]


def test_a_nearly_identical_photo_is_flagged_with_the_earlier_report(make_hazard, dispatcher):
    picture = scene((900, 600), seed=42)
    first = make_hazard(photos=[upload("first.jpg", encode(picture, "JPEG", quality=92))])
    # The same scene, resized and recompressed, sent by someone else 300 m away.
    second = make_hazard(
        latitude=30.9077, longitude=120.8052, photos=[upload("again.png", encode(picture.resize((450, 300)), "PNG"))]
    )
    unrelated = make_hazard(photos=[upload("other.jpg", encode(scene((900, 600), seed=43), "JPEG"))])
    [flag] = _suggestions(second, SuggestionKind.SIMILAR_PHOTO)
    assert flag.similar_hazard_id == first.id and flag.distance <= 3
    assert _suggestions(unrelated, SuggestionKind.SIMILAR_PHOTO) == []
    detail = as_user(dispatcher).get(f"/api/v1/hazards/{second.id}/").json()
    shown = [s for s in detail["suggestions"] if s["kind"] == "similar_photo"]
    assert shown[0]["similar_hazard"]["tracking_code"] == first.tracking_code
    assert shown[0]["rule"] == "perceptual hash"


def test_dispatcher_sees_keyword_suggestions_in_the_detail(make_hazard, dispatcher):
    hazard = make_hazard(category="other", description="楼道里有人私拉电线给电瓶车充电")
    detail = as_user(dispatcher).get(f"/api/v1/hazards/{hazard.id}/").json()
    [shown] = [s for s in detail["suggestions"] if s["kind"] == "keyword"]
    assert shown["rule"] == "私拉电线 unsafe wiring" and shown["matched"] == "私拉电线"
    assert shown["suggested_category"]["slug"] == "electrical-wiring" and shown["suggested_severity"] == "high"
