"""Distances a non-dispatcher sees in the candidates list: banded, never exact.

An exact `distance_m` (to 0.1 m) from three hazards a grid worker can see lets them trilaterate an
on-duty volunteer's live position (issue 21). Dispatchers, who see positions on the board anyway,
keep exact figures; everyone else gets the distance rounded UP to HAZARD_CANDIDATE_DISTANCE_BAND_M
(250 m by default) and the ETA recomputed from that banded distance and rounded up to a minute, so
neither figure carries the fine position. Ranking still uses the exact distances.
"""

from __future__ import annotations

import math
from dataclasses import replace

from govern.roles import is_dispatcher
from hazards import conf
from hazards.dispatch.candidates import Candidate, travel


def band_m(distance_m: float) -> float:
    band = conf.candidate_distance_band_m()
    return float(max(1, math.ceil(distance_m / band)) * band)


def for_viewer(candidates: list[Candidate], *, viewer) -> list[Candidate]:
    if is_dispatcher(viewer):
        return candidates
    banded = []
    for candidate in candidates:
        distance = band_m(candidate.distance_m)
        mode, eta = travel(distance)
        banded.append(replace(candidate, distance_m=distance, mode=mode, eta_s=math.ceil(eta / 60) * 60))
    return banded
