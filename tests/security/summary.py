"""Counts of cases tried and passed per part of the security suite, printed at the end of the run."""

from __future__ import annotations

from collections import defaultdict

# part -> [tried, passed]
TALLY: dict[str, list[int]] = defaultdict(lambda: [0, 0])


def record(part: str, *, tried: int, passed: int) -> None:
    TALLY[part][0] += tried
    TALLY[part][1] += passed


def lines() -> list[str]:
    return [f"{part:<44} tried {tried:>6}   passed {passed:>6}" for part, (tried, passed) in sorted(TALLY.items())]
