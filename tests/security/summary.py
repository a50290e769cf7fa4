"""Counts of cases tried and passed per part of the security suite, printed at the end of the run.

The suite runs in several test processes (pytest-xdist): each appends its counts as JSON lines to
one file the controlling process named in the environment before starting them, and the
controller adds them up for the summary."""

from __future__ import annotations

import json
import os
from collections import defaultdict

ENV = "GOVERN_SECURITY_TALLY"


def record(part: str, *, tried: int, passed: int) -> None:
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:  # one short line per write: appends stay whole
            out.write(json.dumps({"part": part, "tried": tried, "passed": passed}) + "\n")


def lines() -> list[str]:
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    path = os.environ.get(ENV)
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as rows:
            for line in rows:
                row = json.loads(line)
                tally[row["part"]][0] += row["tried"]
                tally[row["part"]][1] += row["passed"]
    return [f"{part:<44} tried {tried:>6}   passed {passed:>6}" for part, (tried, passed) in sorted(tally.items())]
