"""The severity rule: how much a broken limit costs, and which least-bad route that chooses.

1. Every ``severity.*`` parameter adds exactly its value times how badly its limit is broken.
2. Dominance: on random small graphs a route that honours every limit always beats one that
   breaks a limit (hypothesis).
3. On small hand-built graphs, the least-bad route for each kind of violation is the one a person
   would choose (steps against a slightly too steep slope, a 4 cm kerb against a detour, …).
4. Estimated inclines (``InclineSource.DEM``) break a limit only when the profile says so.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    InclineSource,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.profile import Profile, Severity, make_profile, preset_names
from accessibility_rules.weights import (
    VIOLATION_PENALTY_S,
    EdgeWeights,
    Limit,
    Unknown,
    WeightParts,
    compute_weights,
    weight_parts,
)
from graphs.model import EDGE_ATTRIBUTE_DTYPES
from tests.accessibility_rules.test_weights import EFFECTIVE, KNOWN_FOOTWAY


def edges(rows: list[dict[str, Any]]) -> tuple[dict[str, np.ndarray], EffectiveEdges]:
    """Edge and effective arrays for ``rows`` of changes to a known, accessible 100 m footway."""
    n = len(rows)
    edge = {name: np.zeros(n, dtype=dtype) for name, dtype in EDGE_ATTRIBUTE_DTYPES.items()}
    eff = {name: np.array([value] * n) for name, value in EFFECTIVE.items()}
    for i, changes in enumerate(rows):
        for name, value in {**KNOWN_FOOTWAY, **changes}.items():
            if name in EFFECTIVE:
                eff[name][i] = value
            if name in edge and (name not in EFFECTIVE or name in KNOWN_FOOTWAY):
                edge[name][i] = value
        if "width_m" in changes and "passage_width_m" not in changes:
            eff["passage_width_m"][i] = changes["width_m"]
    return edge, EffectiveEdges(**eff)


def weigh(profile: Profile, rows: list[dict[str, Any]]) -> EdgeWeights:
    edge, eff = edges(rows)
    return compute_weights(profile, edge, eff)


def parts(profile: Profile, rows: list[dict[str, Any]]) -> WeightParts:
    edge, eff = edges(rows)
    return weight_parts(profile, edge, eff)


def violation_s(w: WeightParts) -> np.ndarray:
    return np.asarray(w.violation_along_s + w.violation_point_s)


# ------------------------------------------------------------- 1. every parameter's effect

STEPS = {"is_steps": True, "step_count": 5, "incline_source": InclineSource.UNKNOWN}
CROSSING = {"crossing": CrossingKind.TRAFFIC_SIGNALS, "crossing_share": 1.0}
#: parameter → (preset, overrides, edge changes, how badly the limit is broken in its unit)
EFFECTS: dict[str, tuple[str, dict[str, Any], dict[str, Any], float]] = {
    "closed_s": ("walk", {}, {"closed": True}, 1.0),
    "closed_s_per_m": ("walk", {}, {"closed": True}, 100.0),
    "steps_s": ("wheelchair", {}, STEPS, 1.0),
    "steps_s_per_m": ("wheelchair", {}, {**STEPS, "length_m": 4.0}, 4.0),
    "step_count_s_per_step": ("rollator", {}, {**STEPS, "step_count": 7}, 4.0),
    "handrail_s_per_m": ("rollator", {"require_handrail_on_steps": True}, {**STEPS, "step_count": 2, "handrail": Tri.NO, "length_m": 3.0}, 3.0),
    "incline_s_per_m_per_percent": ("wheelchair", {}, {"incline_percent": -9.0}, 100.0 * 3.0),
    "kerb_s_per_cm": ("wheelchair", {}, {"kerb_count": 1, "kerb_height_cm": 12.0}, 9.0),
    "width_s_per_cm": ("wheelchair", {}, {"width_m": 0.7}, 20.0),
    "surface_s_per_m": ("wheelchair", {"avoid_surfaces_hard": True}, {"surface": SurfaceClass.SETT}, 100.0),
    "smoothness_s_per_m_per_grade": ("wheelchair", {}, {"smoothness": Smoothness.VERY_BAD}, 100.0 * (Smoothness.VERY_BAD - Smoothness.INTERMEDIATE)),
    "unlit_s_per_m": ("low_vision", {"require_lit": True}, {"lit": Tri.NO}, 100.0),
    "barrier_s": ("wheelchair", {}, {"barrier": BarrierKind.TURNSTILE}, 1.0),
    "wheelchair_no_s": ("wheelchair", {}, {"wheelchair": Wheelchair.NO}, 1.0),
    "acoustic_signal_s": ("blind", {"require_acoustic_signals": True}, {**CROSSING, "acoustic_signal": AcousticSignal.NO}, 1.0),
    "tactile_paving_s": ("blind", {"require_tactile_paving": True}, {**CROSSING, "tactile_paving": Tri.NO}, 1.0),
    "unknown_s_per_m": ("wheelchair", {"unknown.surface": "forbid"}, {"surface": SurfaceClass.UNKNOWN}, 100.0),
    "unknown_s": ("wheelchair", {"unknown.kerb_height": "forbid"}, {"kerb_count": 2, "kerb_unknown_count": 2}, 2.0),
}  # fmt: skip


def test_every_severity_parameter_has_an_effect_test() -> None:
    assert set(EFFECTS) == set(Severity.model_fields)


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_each_severity_adds_its_value_times_how_badly_the_limit_is_broken(name: str) -> None:
    preset, overrides, changes, badness = EFFECTS[name]
    key = f"severity.{name}"
    nothing = {f"severity.{other}": 0.0 for other in Severity.model_fields}
    cheap = make_profile(preset, {**overrides, **nothing})
    dear = make_profile(preset, {**overrides, **nothing, key: 3.0e6})
    base, priced = weigh(cheap, [changes]), weigh(dear, [changes])
    assert base.violations[0] != 0
    assert base.violations[0] == priced.violations[0]
    flat_s, priced_s = (
        violation_s(parts(cheap, [changes]))[0],
        violation_s(parts(dear, [changes]))[0],
    )
    assert flat_s == pytest.approx(VIOLATION_PENALTY_S)  # the flat part alone
    assert priced_s - flat_s == pytest.approx(3.0e6 * badness)
    assert priced.cost_s[0] - base.cost_s[0] == pytest.approx(3.0e6 * badness)


def test_worse_breaks_cost_more() -> None:
    chair = make_profile("wheelchair")
    w = parts(
        chair,
        [
            {"incline_percent": 7.0},
            {"incline_percent": 12.0},
            {"kerb_count": 1, "kerb_height_cm": 4.0},
            {"kerb_count": 1, "kerb_height_cm": 15.0},
            {"width_m": 0.85},
            {"width_m": 0.6},
        ],
    )
    cost = violation_s(w)
    assert cost[0] < cost[1]
    assert cost[2] < cost[3]
    assert cost[4] < cost[5]


def test_a_barrier_gap_is_priced_at_the_head_and_a_narrow_way_along_it() -> None:
    chair = make_profile("wheelchair")
    rows: list[dict[str, Any]] = [{"width_m": 0.8}, {"width_m": 2.0, "passage_width_m": 0.8}]
    w, p = weigh(chair, rows), parts(chair, rows)
    assert w.violations[0] == w.violations[1] == Limit.WIDTH
    assert p.violation_point_s[0] == 0.0
    assert p.violation_along_s[1] == 0.0
    assert w.violations_at_head[1] == Limit.WIDTH
    assert p.violation_along_s[0] == pytest.approx(p.violation_point_s[1])


# -------------------------------------------------------- 4. estimated (DEM) inclines


@pytest.mark.parametrize("breaks", [False, True])
def test_an_estimated_incline_above_the_limit_breaks_it_only_if_the_profile_says_so(
    breaks: bool,
) -> None:
    chair = make_profile("wheelchair", {"estimated_incline_breaks_limit": breaks})
    w = weigh(
        chair,
        [
            {"incline_percent": 9.0, "incline_source": InclineSource.DEM},
            {"incline_percent": 9.0, "incline_source": InclineSource.TAG},
            {"incline_percent": 5.0, "incline_source": InclineSource.DEM},
            {"incline_percent": 0.0},
        ],
    )
    assert bool(w.violations[0] & Limit.INCLINE) is breaks
    assert bool(w.unknowns[0] & Unknown.INCLINE) is not breaks
    assert w.violations[1] == Limit.INCLINE  # a tagged incline is a fact
    assert w.violations[2] == 0  # within the limit: no break and nothing unknown
    assert w.unknowns[2] == 0
    # not a break, but still a steep, penalised (unknown.incline = penalize) way
    assert w.cost_s[0] > w.cost_s[2] > w.cost_s[3]
    if not breaks:
        assert w.cost_s[0] < VIOLATION_PENALTY_S


def test_a_steep_estimate_is_forbidden_when_unknown_inclines_are() -> None:
    strict = make_profile("wheelchair", {"unknown.incline": "forbid"})
    w = weigh(strict, [{"incline_percent": 9.0, "incline_source": InclineSource.DEM}])
    assert w.violations[0] == Limit.UNKNOWN_FORBIDDEN


# ----------------------------------------------- 3. the route a person would choose

S, T = "S", "T"


def cheapest(
    profile: str | Profile, routes: dict[str, list[dict[str, Any]]], **overrides: Any
) -> str:
    """Name of the route a shortest-path search picks among parallel routes from S to T.

    Each route is a chain of edges (changes to a known, accessible 100 m footway); the search
    runs on one small graph that holds all of them.
    """
    prof = profile if isinstance(profile, Profile) else make_profile(profile, overrides)
    rows, ends = [], []
    for name, chain in routes.items():
        chain = [{"length_m": 0.0}, *chain]  # a free first step keeps parallel routes apart
        nodes = [S, *(f"{name}/{i}" for i in range(1, len(chain))), T]
        for a, b, changes in zip(nodes[:-1], nodes[1:], chain, strict=True):
            rows.append(changes)
            ends.append((a, b, name))
    w = weigh(prof, rows)
    graph = nx.DiGraph()
    for i, (a, b, name) in enumerate(ends):
        graph.add_edge(a, b, weight=float(w.cost_s[i]), route=name)
    path = nx.dijkstra_path(graph, S, T)
    names = {graph.edges[a, b]["route"] for a, b in itertools.pairwise(path)}
    assert len(names) == 1
    return names.pop()


def flat(metres: float, pieces: int = 1) -> list[dict[str, Any]]:
    return [{"length_m": metres / pieces}] * pieces


def slope(metres: float, percent: float, pieces: int = 1, **more: Any) -> list[dict[str, Any]]:
    return [{"length_m": metres / pieces, "incline_percent": percent, **more}] * pieces


FLIGHT = {**STEPS, "step_count": 3, "length_m": 1.0}


def test_wheelchair_takes_a_slightly_too_steep_slope_rather_than_steps() -> None:
    """The KL case (issue 10 item 3): 95 m at 6.2-7.1 % beats three flights of steps."""
    routes = {
        "slope": flat(60) + slope(30, 6.2) + slope(40, 7.1) + slope(25, 6.5) + flat(60),
        "steps": [*flat(15), FLIGHT, *flat(10), FLIGHT, *flat(10), FLIGHT, *flat(15)],
    }
    assert cheapest("wheelchair", routes) == "slope"
    # however the slope is split into edges: the flat part per edge stays small
    routes["slope"] = flat(60) + slope(95, 7.0, pieces=10) + flat(60)
    routes["steps"] = [*flat(50), FLIGHT, *flat(50)]  # one flight only
    assert cheapest("wheelchair", routes) == "slope"


def test_wheelchair_takes_any_compliant_detour() -> None:
    kerb4 = {"kerb_count": 1, "kerb_height_cm": 4.0}
    assert cheapest("wheelchair", {"kerb": [kerb4], "detour": flat(500, 5)}) == "detour"
    assert cheapest("wheelchair", {"steps": [FLIGHT], "detour": flat(2000, 10)}) == "detour"
    assert cheapest("wheelchair", {"slope": slope(20, 6.5), "detour": flat(3000, 10)}) == "detour"


@pytest.mark.parametrize(
    ("profile", "better", "worse"),
    [
        # kerbs: a 4 cm kerb is a tilt, a 12 cm kerb a step, a flight of steps impassable
        ("wheelchair", [{"kerb_count": 1, "kerb_height_cm": 4.0}], [{"kerb_count": 1, "kerb_height_cm": 12.0}]),
        ("wheelchair", [{"kerb_count": 1, "kerb_height_cm": 12.0}], [FLIGHT]),
        ("wheelchair", [{"kerb_count": 1, "kerb_height_cm": 4.0}], slope(500, 7.0, pieces=5)),
        # width: squeezing through 0.85 m beats steps, a turnstile, and a 0.6 m gap
        ("wheelchair", [{"width_m": 0.85}], [FLIGHT]),
        ("wheelchair", [{"width_m": 0.85}], [{"barrier": BarrierKind.TURNSTILE}]),
        ("wheelchair", [{"width_m": 0.85}], [{"width_m": 0.6}]),
        # a barrier that cannot be passed is worse than a long, hard slope
        ("wheelchair", slope(300, 8.0, pieces=3), [{"barrier": BarrierKind.CYCLE_BARRIER}]),
        # slopes: a little too steep over 100 m beats much too steep over 30 m, short beats long
        ("wheelchair", slope(100, 7.0), slope(30, 10.0)),
        ("wheelchair", slope(95, 7.0), slope(400, 7.0, pieces=4)),
        # a way mapped as wheelchair=no is as impassable as steps: a steep slope is better
        ("wheelchair", slope(200, 9.0, pieces=2), [{"wheelchair": Wheelchair.NO}]),
        # a power chair: a kerb slightly too high beats steps it cannot even be carried over
        ("electric_wheelchair", [{"kerb_count": 1, "kerb_height_cm": 8.0}], [FLIGHT]),
        # rollator: a flight slightly too long beats a much longer one; a kerb beats both
        ("rollator", [{**STEPS, "step_count": 5}], [{**STEPS, "step_count": 12}]),
        ("rollator", [{"kerb_count": 1, "kerb_height_cm": 8.0}], [{**STEPS, "step_count": 8}]),
        # stroller: a high kerb to lift over beats carrying over ten steps
        ("stroller", [{"kerb_count": 1, "kerb_height_cm": 14.0}], [{**STEPS, "step_count": 10}]),
        # elderly: a stile can be climbed with care, but a closure cannot be passed
        ("elderly", [{"barrier": BarrierKind.STILE}], [{"closed": True, "length_m": 20.0}]),
        # a rollator that must break limits anyway: twelve steps and a way mapped wheelchair=no
        # are still better than 5 m closed by city staff (Neukölln, a staff closure was taken)
        ("rollator", [{**STEPS, "step_count": 12}, {"wheelchair": Wheelchair.NO}], [{"closed": True, "length_m": 5.0}]),
    ],
)  # fmt: skip
def test_the_least_bad_route_is_the_one_a_person_would_choose(
    profile: str, better: list[dict[str, Any]], worse: list[dict[str, Any]]
) -> None:
    routes = {"better": flat(50) + better + flat(50), "worse": flat(30) + worse + flat(30)}
    assert cheapest(profile, routes) == "better"


@pytest.mark.parametrize("preset", preset_names())
def test_a_metre_closed_by_staff_is_worse_than_every_other_break_at_once(preset: str) -> None:
    """A closure is closed to everyone; steps, barriers and ``wheelchair=no`` ways are not: a
    route that breaks all of them, a long flight, high kerbs, a steep slope, a narrow gap, a
    stile, a way mapped ``wheelchair=no``, still beats one metre of closure (every preset). Before
    ``closed_s``, a closure weighed only per metre: 5 m of it were less than twelve steps."""
    everything = [
        {**STEPS, "step_count": 20, "length_m": 6.0},
        {"kerb_count": 2, "kerb_height_cm": 15.0},
        *slope(100, 12.0),
        {"width_m": 0.5},
        {"barrier": BarrierKind.STILE},
        {"wheelchair": Wheelchair.NO},
    ]
    routes = {
        "breaks": flat(50) + everything + flat(50),
        "closed": [{"closed": True, "length_m": 1.0}],
    }
    assert cheapest(preset, routes) == "breaks"


def test_estimated_slope_is_preferred_to_steps_whatever_the_profile_says() -> None:
    dem = {"incline_source": InclineSource.DEM}
    routes = {
        "slope": flat(60) + slope(95, 7.0, pieces=3, **dem) + flat(60),
        "steps": [*flat(30), FLIGHT, *flat(30)],
    }
    for breaks in (False, True):
        chair = make_profile("wheelchair", {"estimated_incline_breaks_limit": breaks})
        assert cheapest(chair, routes) == "slope"
    # as an unknown, the estimated slope even beats a compliant detour only when that is long
    chair = make_profile("wheelchair")
    routes = {"slope": slope(95, 7.0, **dem), "detour": flat(150)}
    assert cheapest(chair, routes) == "detour"
    routes = {"slope": slope(95, 7.0, **dem), "detour": flat(2000, 4)}
    assert cheapest(chair, routes) == "slope"


# -------------------------------------------------------------------- 2. dominance (property)

_EDGE_CHANGES = st.fixed_dictionaries(
    {
        "length_m": st.floats(0.0, 200.0),
        "incline_percent": st.one_of(st.just(np.nan), st.floats(-15.0, 15.0)),
        "incline_source": st.sampled_from(list(InclineSource)),
        "is_steps": st.booleans(),
        "step_count": st.integers(-1, 20),
        "handrail": st.sampled_from(list(Tri)),
        "kerb_count": st.integers(0, 2),
        "kerb_height_cm": st.one_of(st.just(np.nan), st.floats(0.0, 20.0)),
        "kerb_unknown_count": st.integers(0, 1),
        "width_m": st.one_of(st.just(np.nan), st.floats(0.3, 3.0)),
        "surface": st.sampled_from(list(SurfaceClass)),
        "smoothness": st.sampled_from(list(Smoothness)),
        "lit": st.sampled_from(list(Tri)),
        "barrier": st.sampled_from([BarrierKind.NONE] * 4 + list(BarrierKind)),
        "wheelchair": st.sampled_from(list(Wheelchair)),
        "crossing": st.sampled_from(list(CrossingKind)),
        "crossing_share": st.sampled_from([0.0, 0.5, 1.0]),
        "acoustic_signal": st.sampled_from(list(AcousticSignal)),
        "tactile_paving": st.sampled_from(list(Tri)),
        "is_road": st.booleans(),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    preset=st.sampled_from(preset_names()),
    n=st.integers(3, 7),
    data=st.data(),
)
def test_a_compliant_route_always_beats_a_violating_one(preset: str, n: int, data: Any) -> None:
    """On random small graphs: if any route honours every limit, the cheapest route does.

    And whatever the search picks costs less than one flat penalty exactly when it breaks nothing.
    """
    pairs = data.draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            min_size=n,
            max_size=3 * n,
            unique=True,
        )
    )
    rows = [data.draw(_EDGE_CHANGES) for _ in pairs]
    for row in rows:
        row["closed"] = data.draw(st.sampled_from([False] * 9 + [True]))
    w = weigh(make_profile(preset), rows)
    full, usable = nx.DiGraph(), nx.DiGraph()
    full.add_nodes_from(range(n))
    usable.add_nodes_from(range(n))
    for i, (a, b) in enumerate(pairs):
        full.add_edge(a, b, weight=float(w.cost_s[i]), i=i)
        if w.violations[i] == 0:
            usable.add_edge(a, b, weight=float(w.cost_s[i]))
    # every violating edge costs at least the flat part, every compliant one far less
    assert np.all(w.cost_s[w.violations != 0] >= VIOLATION_PENALTY_S)
    assert np.all(w.cost_s[w.violations == 0] < VIOLATION_PENALTY_S / 10)
    for target in range(1, n):
        if not nx.has_path(full, 0, target):
            continue
        cost, path = nx.single_source_dijkstra(full, 0, target, weight="weight")
        broken = any(w.violations[full.edges[a, b]["i"]] for a, b in itertools.pairwise(path))
        assert broken is not nx.has_path(usable, 0, target)
        assert (cost < VIOLATION_PENALTY_S) is not broken
