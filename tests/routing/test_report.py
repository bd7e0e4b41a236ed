"""Route values and the report helpers: frozen routes, the one detour and walking-time rule,
and a report module that does not need the router."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from accessibility_rules.profile import make_profile
from routing.route import Accessibility, Route
from routing.walking import detour, transition_delay_s, walking_time_s


def _route(**changes: object) -> Route:
    base = Route(
        profile="walk", accessibility=Accessibility("yes", 1.0, [], []), distance_m=120.0, duration_s=90.0, cost_s=90.0,
        geometry=[[7.0, 49.0], [7.001, 49.0]], barriers=[], violations=[], unknowns={},
        max_incline=None, detour=None, segments=[], snapped={},
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_route_is_frozen() -> None:
    route = _route()
    with pytest.raises(dataclasses.FrozenInstanceError):
        route.detour = detour(120.0, 100.0)  # type: ignore[misc]
    changed = dataclasses.replace(route, detour=detour(route.distance_m, 100.0))
    assert changed.detour == {"walk_distance_m": 100.0, "extra_distance_m": 20.0, "ratio": 1.2}
    assert route.detour is None


def test_detour_rounding_and_zero_walk() -> None:
    assert detour(123.456, 100.04) == {
        "walk_distance_m": 100.0,
        "extra_distance_m": 23.4,
        "ratio": 1.234,
    }
    assert detour(5.0, 0.0)["ratio"] == 1.0


def test_walking_time_adds_kerb_and_crossing_delays() -> None:
    prof = make_profile("wheelchair")
    delays = transition_delay_s(prof, np.array([2, 0]), np.array([0.0, 0.5]))
    assert delays == pytest.approx([2 * prof.kerb_delay_s, 0.5 * prof.crossing_delay_s])
    assert walking_time_s(prof, 100.0, 7.0) == pytest.approx(100.0 / prof.walking_speed_mps + 7.0)
    lengths = np.array([10.0, 20.0])
    assert walking_time_s(prof, lengths, delays) == pytest.approx(
        lengths / prof.walking_speed_mps + delays
    )


def test_report_modules_do_not_import_the_engine() -> None:
    code = (
        "import sys, routing.report, routing.obstacles.matching, routing.obstacles.effect; "
        "print('routing.engine' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root, env=env
    )
    assert out.stdout.strip() == "False"
