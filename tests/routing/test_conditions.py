"""Route facts of the day's conditions on hand-made edge columns (routing/conditions.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from accessibility_rules.attributes import Tri
from accessibility_rules.conditions import Conditions
from routing.conditions import green_facts, light_facts, pollen_exposure

NAN = np.nan


def _edges() -> dict[str, np.ndarray]:
    """Five edges of 100 m: limes on edges 1 and 2 (a run) and 4; unknown genus on edge 4."""
    return {
        "length_m": np.full(5, 100.0),
        "trees_tilia": np.array([0, 4, 6, 0, 2], dtype=np.uint16),
        "trees_betula": np.array([0, 0, 0, 0, 0], dtype=np.uint16),
        "trees_unknown": np.array([0, 0, 0, 0, 3], dtype=np.uint16),
        "grass_share": np.array([0.5, 0, 0, NAN, 1.0], dtype=np.float32),
        "green_share": np.array([1.0, 0, 0, NAN, 0.5], dtype=np.float32),
        "park_id": np.array([0, -1, -1, 1, 0], dtype=np.int32),
        "lit": np.array([Tri.YES, Tri.NO, Tri.UNKNOWN, Tri.YES, Tri.YES], dtype=np.int8),
    }


def test_pollen_exposure_per_taxon_with_the_densest_stretches() -> None:
    june = Conditions((("tilia", 3.0), ("grasses", 2.0)), None)
    avoid = frozenset({"tilia", "betula", "grasses", "mugwort"})
    got = {
        e.taxon: e
        for e in pollen_exposure(_edges(), [0, 1, 2, 3, 4], avoid, june, day=dt.date(2025, 6, 1))
    }
    assert list(got) == ["betula", "tilia", "grasses", "mugwort"]  # table order
    tilia = got["tilia"]
    assert (tilia.intensity, tilia.season, tilia.trees) == (3.0, "main", 12.0)
    assert tilia.trees_per_km == pytest.approx(24.0)
    assert tilia.unknown_m == 100.0  # edge 4: trees of unknown genus may be limes
    assert [(s.start_m, s.end_m, s.trees) for s in tilia.stretches] == [
        (100.0, 300.0, 10.0),
        (400.0, 500.0, 2.0),
    ]
    assert got["betula"].intensity == 0.0
    assert got["betula"].season == "none"
    assert got["grasses"].grass_m == pytest.approx(150.0)
    assert got["grasses"].unknown_m == 100.0
    assert got["mugwort"].unknown_m == 500.0  # never mapped


def test_partial_edges_are_prorated_and_missing_columns_are_unknown() -> None:
    edge = _edges()
    part = pollen_exposure(edge, [1, 2], {"tilia"}, Conditions(), walked_m=[50.0, 100.0])[0]
    assert part.trees == pytest.approx(8.0)
    bare = {"length_m": edge["length_m"], "lit": edge["lit"]}  # built before the columns
    gone = pollen_exposure(bare, [0, 1], {"tilia"}, Conditions())[0]
    assert gone.trees == 0.0
    assert gone.unknown_m == 200.0
    assert green_facts(bare, [0, 1]).green_share is None


def test_green_share_and_parks() -> None:
    got = green_facts(_edges(), [0, 1, 2, 3, 4], ["Volkspark", "Stadtpark"])
    assert got.green_share == pytest.approx(150.0 / 400.0)
    assert got.unknown_m == 100.0
    assert [(p.name, p.length_m) for p in got.parks] == [("Volkspark", 200.0), ("Stadtpark", 100.0)]


def test_lit_share_and_light() -> None:
    got = light_facts(_edges(), [0, 1, 2, 3, 4], Conditions(dark=True))
    assert (got.lit_m, got.unlit_m, got.unknown_m) == (300.0, 100.0, 100.0)
    assert got.lit_share == pytest.approx(0.75)
    assert got.light == "dark"
    assert light_facts(_edges(), [0], Conditions(dark=False)).light == "day"
    assert light_facts(_edges(), [0], Conditions()).light == "unknown"
