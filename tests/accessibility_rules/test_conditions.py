"""Pollen season table, the day's conditions (pollen, darkness) and their weight rules.

The weight rules are checked three ways: the kernel equals the numpy reference bit for bit for
random profiles *and* random conditions (hypothesis), a hand-made edge shows each rule's number,
and unknown exposure is never read as "no trees".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules import _kernels
from accessibility_rules.attributes import Tri
from accessibility_rules.conditions import (
    BERLIN,
    DEFAULT_CONDITIONS,
    Conditions,
    is_dark,
    resolve_conditions,
    sun_times,
)
from accessibility_rules.kernel_signatures import arguments_fit
from accessibility_rules.pollen import (
    POLLEN_TAXA,
    TREE_TAXA,
    parse_forecast,
    parse_seasons,
    season_intensity,
    seasons,
)
from accessibility_rules.profile import (
    ParameterOutOfRangeError,
    Profile,
    load_preset,
    make_profile,
    parameter_table,
)
from accessibility_rules.weights import Unknown, compute_weights, context_columns, weight_parts

from .test_weights_kernel import PERSONAL, assert_as_reference, personal, random_edges

KAISERSLAUTERN = (49.4447, 7.7690)

# ------------------------------------------------------------------------------ season table


def test_the_table_lists_every_taxon_with_its_source() -> None:
    table = seasons()
    assert list(table) == list(POLLEN_TAXA)
    assert {t: table[t].exposure for t in TREE_TAXA} == {t: f"trees_{t}" for t in TREE_TAXA}
    assert table["grasses"].exposure == "grass_share"
    from importlib import resources

    text = resources.files("accessibility_rules").joinpath("pollen_seasons.csv").read_text()
    assert "Polleninformationsdienst" in text


HEADER = "taxon,genus,label_de,label_en,exposure,dwd_name,main_months,side_months\n"


def _table(rows: dict[str, str]) -> str:
    good: dict[str, str] = {
        r.taxon: f"{r.taxon},{r.genus},{r.label_de},{r.label_en},{r.exposure},"
        f"{r.dwd_name or ''},{' '.join(map(str, sorted(r.main_months)))},"
        f"{' '.join(map(str, sorted(r.side_months)))}"
        for r in seasons().values()
    }
    good.update(rows)
    return HEADER + "\n".join(v for v in good.values() if v) + "\n"


def test_a_valid_table_round_trips() -> None:
    assert parse_seasons(_table({})) == seasons()


@pytest.mark.parametrize(
    "rows",
    [
        {"tilia": "tilia,Tilia,Linde,lime,trees_tilia,,6 13,5"},  # month 13
        {"tilia": "tilia,Tilia,Linde,lime,trees_tilia,,6 7,7"},  # main and side overlap
        {"tilia": "tilia,Tilia,Linde,lime,grass_share,,6 7,5"},  # a tree read from grass
        {"tilia": ""},  # a taxon missing
        {"x": "tilia,Tilia,Linde,lime,trees_tilia,,6,5"},  # a taxon twice
        {"tilia": "oak2,Tilia,Linde,lime,trees_tilia,,6,5"},  # not a taxon
    ],
)
def test_a_broken_table_is_refused(rows: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"(?i)tilia|taxon|month|exposure|season"):
        parse_seasons(_table(rows))


def test_intensity_for_dates() -> None:
    june, january = dt.date(2025, 6, 15), dt.date(2025, 1, 15)
    assert season_intensity("tilia", june) == 3.0  # lime: main season
    assert season_intensity("grasses", june) == 3.0
    assert season_intensity("betula", june) == 0.0
    assert season_intensity("quercus", june) == 1.0  # oak: side season
    # January: no tree of the allergy preset in main season; hazel and alder only begin
    assert all(season_intensity(t, january) < 3 for t in POLLEN_TAXA)
    assert season_intensity("tilia", january) == season_intensity("grasses", january) == 0.0


def test_forecast_values_and_names() -> None:
    got = parse_forecast({"Birke": "1-2", "Graeser": "2-3", "Roggen": "3", "tilia": 2, "Erle": 0.5})
    assert got == {"betula": 1.5, "grasses": 3.0, "tilia": 2.0, "alnus": 0.5}
    for bad in ({"Birke": "4"}, {"Birke": 1.25}, {"Birke": -1}, {"Palme": 1}, {"Birke": True}):
        with pytest.raises(ValueError, match="pollen"):
            parse_forecast(bad)
    first = parse_forecast({})  # no forecast: a new empty dict each time (callers may fill it)
    assert first == {}
    assert first is not parse_forecast({})


# ------------------------------------------------------------------------------ conditions


def test_resolve_keeps_only_what_the_profile_reacts_to() -> None:
    allergy = load_preset("allergy")
    noon = dt.datetime(2025, 6, 15, 12, 0, tzinfo=BERLIN)
    got = resolve_conditions(
        allergy, lat=KAISERSLAUTERN[0], lon=KAISERSLAUTERN[1], departure_time=noon
    )
    assert dict(got.pollen) == {"quercus": 1.0, "tilia": 3.0, "grasses": 3.0}
    assert got.dark is None  # allergy has no light rule: darkness would not change its weights
    walk = resolve_conditions(load_preset("walk"), lat=49.44, lon=7.77, departure_time=noon)
    assert walk == DEFAULT_CONDITIONS


def test_request_forecast_overrides_the_table() -> None:
    tilia = make_profile("allergy", {"avoid_pollen": frozenset({"tilia", "betula"})})
    day = dt.datetime(2025, 6, 15, 12, 0, tzinfo=BERLIN)
    kw: dict[str, Any] = {"lat": 49.44, "lon": 7.77, "departure_time": day}
    assert resolve_conditions(tilia, **kw).pollen == (("tilia", 3.0),)
    forecast = {"Birke": "1-2", "tilia": "0"}
    assert resolve_conditions(tilia, pollen_forecast=forecast, **kw).pollen == (("betula", 1.5),)
    january = dt.date(2025, 1, 20)
    assert resolve_conditions(tilia, date=january, **kw).pollen == ()


@pytest.mark.parametrize(
    ("when", "dark"),
    [
        (dt.datetime(2024, 6, 21, 12, 0), False),  # midsummer noon
        (dt.datetime(2024, 6, 21, 22, 30), True),  # after the late midsummer sunset (~21:40)
        (dt.datetime(2024, 12, 21, 8, 0), True),  # before the winter sunrise (~8:25)
        (dt.datetime(2024, 12, 21, 17, 0), True),  # after the winter sunset (~16:30)
        (dt.datetime(2024, 12, 21, 12, 0), False),
        (dt.datetime(2024, 3, 31, 6, 0, tzinfo=BERLIN), True),  # the day summer time begins
        (dt.datetime(2024, 3, 31, 8, 0, tzinfo=BERLIN), False),
    ],
)
def test_dark_or_day_in_kaiserslautern(when: dt.datetime, dark: bool) -> None:
    assert is_dark(*KAISERSLAUTERN, when) is dark


def test_sunrise_and_sunset_in_kaiserslautern() -> None:
    winter = sun_times(*KAISERSLAUTERN, dt.datetime(2024, 12, 21, 12, 0))
    assert dt.time(8, 15) < winter.sunrise.timetz().replace(tzinfo=None) < dt.time(8, 35)
    assert dt.time(16, 20) < winter.sunset.timetz().replace(tzinfo=None) < dt.time(16, 40)
    summer = sun_times(*KAISERSLAUTERN, dt.datetime(2024, 6, 21, 12, 0))
    assert dt.time(5, 10) < summer.sunrise.timetz().replace(tzinfo=None) < dt.time(5, 35)
    assert dt.time(21, 30) < summer.sunset.timetz().replace(tzinfo=None) < dt.time(21, 50)
    assert not summer.dark
    assert winter.sunrise.utcoffset() == dt.timedelta(hours=1)


def test_conditions_are_checked_and_hashable() -> None:
    assert hash(Conditions((("tilia", 3.0),), True)) == hash(Conditions((("tilia", 3.0),), True))
    for bad in ((("tilia", 3.0), ("betula", 1.0)), (("tilia", 0.0),), (("palm", 1.0),)):
        with pytest.raises(ValueError, match="pollen"):
            Conditions(bad)


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("pollen_penalty_factor", -0.1), ("pollen_penalty_factor", 10.5),
        ("green_preference", -1.0), ("green_preference", 5.01),
        ("unlit_penalty_factor", 0.99), ("avoid_pollen", frozenset({"palm"})),
        ("pollen_penalty_factor", float("nan")),
    ],
)  # fmt: skip
def test_out_of_range_is_rejected(name: str, value: Any) -> None:
    with pytest.raises(ParameterOutOfRangeError):
        make_profile("walk", {name: value})


def test_presets_and_table_document_the_new_parameters() -> None:
    rows = {r["name"]: r for r in parameter_table()}
    for name in ("avoid_pollen", "pollen_penalty_factor", "green_preference", "require_lit",
                 "unlit_penalty_factor", "unknown.pollen"):  # fmt: skip
        assert rows[name]["label_de"], name
        assert rows[name]["label_en"], name
    assert rows["green_preference"]["unit"] == "×"
    assert (rows["pollen_penalty_factor"]["minimum"], rows["pollen_penalty_factor"]["maximum"]) == (
        0,
        10,
    )
    assert set(rows["avoid_pollen"]["choices"]) == set(POLLEN_TAXA)
    assert load_preset("dog_walk").green_preference > 0
    assert {"tilia", "betula", "grasses"} <= load_preset("allergy").avoid_pollen
    assert load_preset("low_vision").unlit_penalty_factor > 1


# ------------------------------------------------------------------------------ weights


def with_context_columns(
    seed: int, n: int = 3000, *, absent: bool = False, counts: type[np.generic] = np.float32
) -> tuple[dict[str, np.ndarray], Any]:
    """Random edges plus the context columns (some NaN), or without them (``absent``). Tree
    counts as the graph stores them (float32, fractions: a tree counts as passed along the
    metres within its reach) or of another dtype (whole counts)."""
    edge, eff = random_edges(seed, n)
    if absent:
        return edge, eff
    rng = np.random.default_rng(seed + 100)
    edge = dict(edge)
    for taxon in (*TREE_TAXA, "other", "unknown"):
        passed = rng.integers(0, 12, n) * (rng.random(n) if counts == np.float32 else 1)
        edge[f"trees_{taxon}"] = np.where(rng.random(n) < 0.6, 0, passed).astype(counts)
    for name in ("grass_share", "green_share"):
        share = rng.choice([0.0, 0.25, 1.0, 0.7], n).astype(np.float32)
        share[rng.random(n) < 0.05] = np.nan
        edge[name] = share
    return edge, eff


CONTEXT_SETS = {
    "columns": with_context_columns(11),
    "whole_counts": with_context_columns(13, counts=np.uint16),
    "absent": with_context_columns(12, absent=True),
}
CONDITIONS = st.builds(
    lambda chosen, dark: Conditions(tuple((t, v) for t, v in zip(POLLEN_TAXA, chosen, strict=True) if v > 0), dark),
    st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]), min_size=9, max_size=9),
    st.sampled_from([True, False, None]),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    profile=PERSONAL.map(personal),
    conditions=CONDITIONS,
    edges=st.sampled_from(sorted(CONTEXT_SETS)),
)
def test_kernel_equals_the_reference_for_random_profiles_and_conditions(
    profile: Profile, conditions: Conditions, edges: str
) -> None:
    edge, eff = CONTEXT_SETS[edges]
    assert_as_reference(profile, edge, eff, conditions)


@pytest.mark.parametrize("preset", ["allergy", "dog_walk", "low_vision", "walk"])
@pytest.mark.parametrize("dark", [True, False, None])
def test_kernel_equals_the_reference_for_the_new_presets(preset: str, dark: bool | None) -> None:
    conditions = Conditions((("betula", 3.0), ("tilia", 1.5), ("grasses", 2.0)), dark)
    edge, eff = CONTEXT_SETS["columns"]
    profile = load_preset(preset)
    assert_as_reference(profile, edge, eff, conditions)


def test_the_tree_columns_are_read_in_place() -> None:
    # the graph's float32 counts go to the weights pass as they are (no copy per metric); other
    # dtypes as float64 columns
    edge, _ = CONTEXT_SETS["columns"]
    m = len(edge["length_m"])
    counts = context_columns(edge, m, trees=True)[0]
    assert all(
        np.shares_memory(c, edge[f"trees_{t}"]) for c, t in zip(counts, TREE_TAXA, strict=True)
    )
    assert not any(c.flags.writeable for c in counts)  # one type for numba, as a served graph
    assert all(len(c) == 0 for c in context_columns(edge, m, trees=False)[0])
    whole, _ = CONTEXT_SETS["whole_counts"]
    assert all(c.dtype == np.float64 for c in context_columns(whole, m, trees=True)[0])
    # a column the graph lacks: NaN (unknown) in the graph's dtype, the others still in place
    lacking = {k: v for k, v in edge.items() if k != "trees_tilia"}
    columns = context_columns(lacking, m, trees=True)[0]
    assert all(c.dtype == np.float32 for c in columns)
    assert np.isnan(columns[TREE_TAXA.index("tilia")]).all()
    assert np.shares_memory(columns[TREE_TAXA.index("betula")], edge["trees_betula"])


def test_a_pass_with_trees_in_flight_takes_the_graphs_columns_as_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the tree columns as the graph stores them fit the ahead-of-time build's signature (a
    # guarded kernel's call that does not fit goes to numba's JIT, silently)
    fits: list[bool] = []
    built = _kernels.edge_weights

    def spy(*args: Any) -> None:
        fits.append(arguments_fit("accessibility_rules._kernels.edge_weights", args))
        built(*args)

    monkeypatch.setattr(_kernels, "edge_weights", spy)
    edge, eff = CONTEXT_SETS["columns"]
    # a graph built before a column existed (a genus; the green and grass shares)
    lacking = {k: v for k, v in edge.items() if k not in ("trees_tilia", "green_share")}
    for columns in (edge, lacking):
        compute_weights(load_preset("allergy"), columns, eff, Conditions((("betula", 3.0),)))
    assert fits == [True, True]


def _one_edge(**columns: Any) -> tuple[dict[str, np.ndarray], Any]:
    edge, eff = random_edges(5, n=1)
    edge = dict(edge)
    plain = {
        "length_m": 100.0, "incline_percent": 0.0, "is_steps": False, "surface": 0,
        "smoothness": 0, "lit": int(Tri.YES),
    }  # fmt: skip
    for k, v in {**plain, **columns}.items():
        edge[k] = np.array([v], dtype=edge[k].dtype if k in edge else np.float32)
    quiet = {
        f.name: np.zeros_like(getattr(eff, f.name))
        for f in dataclasses.fields(eff)
        if getattr(eff, f.name) is not None
    }
    return edge, dataclasses.replace(eff, **quiet)


def test_pollen_rule_in_numbers() -> None:
    profile = make_profile(
        "walk", {"avoid_pollen": frozenset({"tilia", "grasses"}), "pollen_penalty_factor": 2.0}
    )
    base_s = 100.0 / profile.walking_speed_mps
    edge, eff = _one_edge(trees_tilia=5, trees_unknown=0, grass_share=0.5)
    june = Conditions((("tilia", 3.0), ("grasses", 1.5)), None)
    w = compute_weights(profile, edge, eff, june)
    # 5 limes per 100 m = exposure 0.5 at intensity 3/3; grass on half the edge at 1.5/3
    travel_s = weight_parts(profile, edge, eff, june).travel_s[0]
    assert travel_s == pytest.approx(base_s * (1 + 2.0 * (1.0 * 0.5 + 0.5 * 0.5)))
    assert w.unknowns[0] & Unknown.POLLEN == 0
    january = weight_parts(profile, edge, eff, DEFAULT_CONDITIONS)
    assert january.travel_s[0] == pytest.approx(base_s)


def test_unknown_exposure_is_flagged_never_safe() -> None:
    profile = make_profile("allergy", {"avoid_pollen": frozenset({"tilia"})})
    june = Conditions((("tilia", 3.0),), None)
    unknown_genus, _ = _one_edge(trees_tilia=0, trees_unknown=4)
    with_columns, eff = _one_edge()
    no_columns = {  # a graph built before the tree columns
        k: v
        for k, v in with_columns.items()
        if not k.startswith("trees_") and k not in ("green_share", "grass_share")
    }
    for edge in (unknown_genus, no_columns):
        w = compute_weights(profile, edge, eff, june)
        assert w.unknowns[0] & Unknown.POLLEN
        # allergy penalises unknown exposure (unknown.pollen = penalize)
        assert weight_parts(profile, edge, eff, june).travel_s[0] == pytest.approx(
            100.0 / profile.walking_speed_mps * profile.unknown_penalty_factor
        )
    forbid = make_profile(profile, {"unknown.pollen": "forbid"})
    assert compute_weights(forbid, unknown_genus, eff, june).violations[0] != 0
    # out of season the unknown genus does not matter
    assert (
        compute_weights(profile, unknown_genus, eff, DEFAULT_CONDITIONS).unknowns[0]
        & Unknown.POLLEN
        == 0
    )
    # mugwort is never mapped: unknown wherever it flies
    mugwort = make_profile("walk", {"avoid_pollen": frozenset({"mugwort"})})
    assert (
        compute_weights(mugwort, unknown_genus, eff, Conditions((("mugwort", 3.0),))).unknowns[0]
        & Unknown.POLLEN
    )


def test_green_and_light_rules_in_numbers() -> None:
    dog = load_preset("dog_walk")
    edge, eff = _one_edge(green_share=0.25, lit=int(Tri.NO))
    base_s = 100.0 / dog.walking_speed_mps
    assert weight_parts(dog, edge, eff).travel_s[0] == pytest.approx(base_s * (1 + 1.0 * 0.75))
    low = load_preset("low_vision")
    day = weight_parts(low, edge, eff, Conditions(dark=False)).travel_s[0]
    night = weight_parts(low, edge, eff, Conditions(dark=True)).travel_s[0]
    assert night == pytest.approx(day * low.unlit_penalty_factor)
    strict = make_profile("walk", {"require_lit": True})
    assert compute_weights(strict, edge, eff, Conditions(dark=True)).violations[0] != 0
    assert compute_weights(strict, edge, eff, Conditions(dark=False)).violations[0] == 0
