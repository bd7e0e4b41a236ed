"""The barrier passability table (accessibility_rules/barriers.csv) and its per-edge masks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from accessibility_rules.attributes import BarrierKind, Mobility, Tri
from accessibility_rules.barriers import (
    BarrierTableError,
    _parse,
    barrier_masks,
    barrier_table,
    passability,
)
from accessibility_rules.effective import effective_edges
from accessibility_rules.profile import load_preset, make_profile, preset_names
from accessibility_rules.tag_values import parse_barrier
from accessibility_rules.weights import Limit, Unknown, compute_weights, weight_parts
from graphs.build import build_graph
from graphs.model import CompiledGraph
from graphs.sources import read_osm_file

#: The values documented on the OSM wiki page Key:barrier (2024), except ``kerb`` (read as a
#: KerbKind) and the area-only ones; ``yes`` is the unspecified barrier.
WIKI_VALUES = (
    "cable_barrier", "city_wall", "ditch", "fence", "guard_rail", "handrail", "hedge",
    "retaining_wall", "wall", "block", "bollard", "border_control", "bump_gate", "bus_trap",
    "cattle_grid", "chain", "cycle_barrier", "debris", "entrance", "full-height_turnstile", "gate",
    "hampshire_gate", "height_restrictor", "horse_stile", "jersey_barrier", "kissing_gate",
    "lift_gate", "log", "motorcycle_barrier", "rope", "sally_port", "spikes", "stile",
    "sump_buster", "swing_gate", "toll_booth", "turnstile", "wicket_gate", "sliding_gate",
    "sliding_beam", "planter", "tank_trap", "coupure", "yes",
)  # fmt: skip
#: Values the issue found passable for everyone, and values seen in the shared extracts.
ISSUE_AND_DATA_VALUES = (
    "fence", "cattle_grid", "log", "hole", "fallen_tree", "debris", "chicane", "swing_gate",
    "lift_gate", "block", "height_restrictor", "rock", "stone", "collision_protection",
    "overgrowth", "shrub",
)  # fmt: skip


# --- the table ---------------------------------------------------------------------------------


def test_table_has_a_row_for_every_wiki_value_and_every_kind() -> None:
    table = barrier_table()
    values = {row.value for row in table.values()}
    assert set(WIKI_VALUES) <= values
    assert set(ISSUE_AND_DATA_VALUES) <= values
    assert set(table) == set(BarrierKind) - {BarrierKind.NONE}
    for value in values:
        assert table[parse_barrier(value)].value == value  # the reader finds each row


def test_every_row_states_its_source() -> None:
    for row in barrier_table().values():
        assert row.source.startswith(("wiki:", "not on the wiki", "not a barrier value"))


def test_the_four_old_blocking_kinds_still_block_wheels() -> None:
    for kind in (BarrierKind.STILE, BarrierKind.TURNSTILE, BarrierKind.KISSING_GATE):
        for mobility in (Mobility.WHEELCHAIR, Mobility.WHEELED):
            assert barrier_table()[kind].passage(mobility) is Tri.NO
    assert barrier_table()[BarrierKind.CYCLE_BARRIER].passage(Mobility.WHEELCHAIR) is Tri.NO


def test_unknown_barrier_is_unknown_for_everyone() -> None:
    row = barrier_table()[BarrierKind.UNKNOWN]
    assert row.value == "yes"
    assert all(row.passage(m) is Tri.UNKNOWN for m in Mobility)


def test_passability_lookup_is_indexed_by_code_plus_one() -> None:
    look = passability(Mobility.WHEELCHAIR)
    assert look[BarrierKind.NONE + 1] == Tri.YES
    assert look[BarrierKind.UNKNOWN + 1] == Tri.UNKNOWN
    assert look[BarrierKind.CATTLE_GRID + 1] == Tri.NO
    assert not look.flags.writeable


_HEADER = "value,foot,wheelchair,wheeled,blind,source\n"
_GOOD_ROWS = "".join(
    f"{row.value},{row.foot},{row.wheelchair},{row.wheeled},{row.blind},checked row\n"
    for row in barrier_table().values()
)


@pytest.mark.parametrize(
    ("extra", "error", "message"),
    [
        ("gate,yes,yes,yes,yes,a second gate row\n", BarrierTableError, "listed twice"),
        ("moat,no,no,no,no,not a BarrierKind member\n", BarrierTableError, "no BarrierKind"),
        ("Gate,yes,yes,yes,yes,upper case value\n", ValidationError, "value"),
        ("x,yes,maybe,yes,yes,bad passage word\n", ValidationError, "wheelchair"),
        ("x,yes,yes,yes,yes,\n", ValidationError, "source"),
        ("x,yes,yes,yes,yes,one,too many\n", ValidationError, "unexpected_columns"),
    ],
)
def test_a_broken_table_is_rejected(extra: str, error: type[Exception], message: str) -> None:
    assert _parse("# comment\n" + _HEADER + _GOOD_ROWS)  # the good rows parse
    with pytest.raises(error, match=message):
        _parse(_HEADER + _GOOD_ROWS + extra)


def test_a_table_missing_a_kind_is_rejected() -> None:
    rows = "".join(line + "\n" for line in _GOOD_ROWS.splitlines() if not line.startswith("log,"))
    with pytest.raises(BarrierTableError, match="no row for LOG"):
        _parse(_HEADER + rows)


# --- overrides, one fixture barrier per rule ---------------------------------------------------

Y, N, U = Tri.YES, Tri.NO, Tri.UNKNOWN
#: node → passage for (foot, wheelchair, wheeled, blind); see the fixture's comment.
EXPECTED: dict[int, tuple[Tri, Tri, Tri, Tri]] = {
    1002: (Y, N, N, U),  # cattle_grid
    1003: (Y, U, U, U),  # chain
    1004: (Y, N, N, Y),  # fence + foot=yes: a gap for walkers, still a fence for wheels
    1005: (Y, Y, Y, Y),  # cycle_barrier + wheelchair=yes
    1006: (N, N, N, N),  # gate + access=private
    1007: (N, Y, Y, N),  # gate + access=no + wheelchair=yes: the more specific key wins
    1008: (U, U, U, U),  # barrier=yes
    1009: (Y, U, U, U),  # stile + wheelchair=limited
    1010: (Y, N, N, Y),  # fallen_tree + foot=yes + wheelchair=no
}


@pytest.fixture(scope="module")
def classes_graph(osm_fixtures: Path) -> CompiledGraph:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "barrier_classes.osm"))
    return graph


def _edge_into(graph: CompiledGraph, osm_id: int) -> int:
    node = int(np.flatnonzero(graph.node["osm_id"] == osm_id)[0])
    west = np.flatnonzero((graph.head == node) & (graph.node["osm_id"][graph.tail] < osm_id))
    assert len(west) == 1
    return int(west[0])


@pytest.mark.parametrize("mobility", list(Mobility))
def test_fixture_barriers_per_mobility_class(
    classes_graph: CompiledGraph, mobility: Mobility
) -> None:
    eff = effective_edges(classes_graph)
    masks = barrier_masks(mobility, eff)
    column = list(Mobility).index(mobility)
    for osm_id, expected in EXPECTED.items():
        e = _edge_into(classes_graph, osm_id)
        got = N if masks.blocked[e] else U if masks.unknown[e] else Y
        assert got is expected[column], (osm_id, mobility)
    no_barrier = eff.barrier == BarrierKind.NONE
    assert not (masks.blocked | masks.unknown)[no_barrier].any()


def test_profile_extra_list_blocks_on_top_of_the_table(classes_graph: CompiledGraph) -> None:
    eff = effective_edges(classes_graph)
    e = _edge_into(classes_graph, 1003)
    assert not barrier_masks(Mobility.FOOT, eff).blocked[e]
    assert barrier_masks(Mobility.FOOT, eff, frozenset({"chain"})).blocked[e]


def test_weights_forbid_and_flag_per_preset(classes_graph: CompiledGraph) -> None:
    eff = effective_edges(classes_graph)
    cattle, unspecified = _edge_into(classes_graph, 1002), _edge_into(classes_graph, 1008)
    chair = compute_weights(load_preset("wheelchair"), classes_graph.edge, eff)
    assert chair.violations[cattle] & Limit.BARRIER
    assert not chair.violations[unspecified] & Limit.BARRIER
    assert chair.unknowns[unspecified] & Unknown.BARRIER
    transition_s = weight_parts(load_preset("wheelchair"), classes_graph.edge, eff).transition_s
    assert transition_s[unspecified] >= load_preset("wheelchair").unknown_transition_penalty_s
    walk = compute_weights(load_preset("walk"), classes_graph.edge, eff)
    assert not walk.violations[cattle] & Limit.BARRIER
    strict = make_profile("wheelchair", {"unknown.barrier": "forbid"})
    forbid = compute_weights(strict, classes_graph.edge, eff)
    assert forbid.violations[unspecified] & Limit.UNKNOWN_FORBIDDEN


def test_every_preset_names_its_mobility() -> None:
    expected = {
        "walk": Mobility.FOOT, "elderly": Mobility.FOOT, "low_vision": Mobility.FOOT,
        "blind": Mobility.BLIND, "wheelchair": Mobility.WHEELCHAIR,
        "electric_wheelchair": Mobility.WHEELCHAIR, "rollator": Mobility.WHEELED,
        "stroller": Mobility.WHEELED, "allergy": Mobility.FOOT, "dog_walk": Mobility.FOOT,
    }  # fmt: skip
    assert {name: load_preset(name).mobility for name in preset_names()} == expected


# --- real data: barrier kinds that now block wheelchairs ---------------------------------------


def _blocking_kinds(path: Path) -> dict[str, int]:
    """Barrier nodes on the walkable ways by kind name, for kinds a wheelchair cannot pass."""
    graph, _ = build_graph(read_osm_file(path))
    kinds = graph.node["barrier"]
    look = passability(Mobility.WHEELCHAIR)[kinds.astype(np.int64) + 1]
    blocked = (look == Tri.NO) & (kinds != BarrierKind.NONE)
    names, counts = np.unique(kinds[blocked], return_counts=True)
    return {BarrierKind(int(k)).name.lower(): int(c) for k, c in zip(names, counts, strict=True)}


@pytest.mark.realdata
@pytest.mark.slow
def test_kaiserslautern_barriers_blocking_wheelchairs(
    shared_file: Callable[[str], Path],
) -> None:
    """Before: only stiles, turnstiles, kissing gates and cycle barriers blocked; fences and the
    fallen tree of the 2013 extract were passable for everyone."""
    counts = _blocking_kinds(shared_file("kaiserslautern-2013.osm.gz"))
    assert counts == {"turnstile": 7, "cycle_barrier": 13, "fence": 3, "fallen_tree": 1}


@pytest.mark.realdata
@pytest.mark.slow
def test_neukoelln_barriers_blocking_wheelchairs(shared_file: Callable[[str], Path]) -> None:
    counts = _blocking_kinds(shared_file("berlin-neukoelln-2024.osm.gz"))
    assert counts == {"cycle_barrier": 1}  # its 2 rocks bar cars and leave room for wheels
