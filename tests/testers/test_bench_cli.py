"""``stufenlos bench`` on the Kaiserslautern centre extract, through ``api.cli.main`` (dispatching to ``testers.bench``).

One run (20 seeded pairs × walk, wheelchair, compared with networkx) is shared by the module;
the other tests rerun the command with a baseline, with several processes, or with bad input.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.cli import main
from graphs.geodesy import haversine_m
from testers.pairs import CSV_COLUMNS, random_pairs, read_pairs, write_pairs
from testers.report import find_regressions

pytestmark = pytest.mark.realdata

PROFILES = ["walk", "wheelchair"]
OUTPUTS = ["pairs.csv", "results.csv", "summary.json", "latency.png", "detour.png", "routes_map.png"]  # fmt: skip
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMING_COLUMNS = {"search_ms", "route_ms", "nx_ms", "nx_ours_ms"}


def bench(graph: Path, out: Path, *extra: str) -> int:
    return main(
        ["bench", "--graph", str(graph), "--random", "20", "--seed", "1",
         "--profiles", ",".join(PROFILES), "--out", str(out), "--quiet", *extra]
    )  # fmt: skip


@pytest.fixture(scope="module")
def run(centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("bench") / "run1"
    code = bench(centre_graph_dir, out, "--compare", "networkx", "--jobs", "1")
    return code, out


@pytest.fixture(scope="module")
def summary(run: tuple[int, Path]) -> dict[str, Any]:
    return json.loads((run[1] / "summary.json").read_text())


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_bench_writes_every_output(run: tuple[int, Path]) -> None:
    code, out = run
    assert code == 0
    for name in OUTPUTS:
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name


def test_results_csv_has_one_row_per_pair_and_profile(run: tuple[int, Path]) -> None:
    results = rows(run[1] / "results.csv")
    assert len(results) == 20 * len(PROFILES)
    assert {r["profile"] for r in results} == set(PROFILES)
    assert {r["pair_id"] for r in results} == {str(i) for i in range(1, 21)}
    for r in results:
        assert r["ok"] == "true", r
        assert float(r["distance_m"]) > 0
        assert float(r["route_ms"]) > 0
        assert float(r["search_ms"]) > 0
        assert float(r["detour_ratio"]) > 0
        assert 0.0 <= float(r["unknown_share"]) <= 1.0
        assert int(r["kerbs"]) >= 0
        assert int(r["steps"]) >= 0
        assert int(r["crossings"]) >= 0
        assert r["nx_agree"] == "true", r
    walk = [r for r in results if r["profile"] == "walk"]
    assert all(float(r["detour_ratio"]) == 1.0 for r in walk)


def test_pairs_csv_is_readable_and_spread_out(run: tuple[int, Path]) -> None:
    pairs = read_pairs(run[1] / "pairs.csv")
    assert len(pairs) == 20
    assert (run[1] / "pairs.csv").read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    for p in pairs:
        assert haversine_m(p.origin[1], p.origin[0], p.destination[1], p.destination[0]) >= 200
        for lat, lon in (p.origin, p.destination):
            assert 49.435 < lat < 49.447
            assert 7.759 < lon < 7.778


def test_summary_json_has_the_figures_and_metadata(summary: dict[str, Any]) -> None:
    assert set(summary) >= {"run", "overall", "profiles", "comparison"}
    run = summary["run"]
    for key in ("timestamp", "command", "software_version", "graph", "seed", "pair_count", "profiles", "machine", "seconds"):  # fmt: skip
        assert key in run, key
    assert run["seed"] == 1
    assert run["pair_count"] == 20
    assert run["profiles"] == PROFILES
    assert len(run["graph"]["source_sha256"]) == 64
    assert run["machine"]["cores"] >= 1
    assert run["command"].startswith("stufenlos bench ")
    assert list(summary["profiles"]) == PROFILES
    for s in summary["profiles"].values():
        assert s["pairs"] == 20
        assert s["success_rate_pct"] == 100.0
        shares = [s[f"{v}_rate_pct"] for v in ("yes", "unknown", "no")]
        assert all(0 <= x <= 100 for x in shares)
        assert sum(shares) == pytest.approx(s["success_rate_pct"], abs=0.1)
        assert 0 <= s["known_share"]["mean"] <= 1
        lat = s["latency_ms"]["route"]
        assert 0 < lat["median"] <= lat["p95"] <= lat["p99"] <= lat["max"]
        assert s["latency_ms"]["search"]["median"] > 0
        assert s["throughput_routes_per_s"] > 0
        detour = s["detour"]
        assert detour["median_ratio"] <= detour["p90_ratio"]
        assert sum(b["count"] for b in detour["histogram"]) == 20
    assert summary["profiles"]["walk"]["yes_rate_pct"] == 100.0  # walking sets no limit on data
    assert summary["profiles"]["wheelchair"]["unknown_rate_pct"] > 0  # 2013: widths unmapped


def test_networkx_agrees_on_every_pair(summary: dict[str, Any]) -> None:
    nx_cmp = summary["comparison"]["networkx"]
    assert nx_cmp["pairs_compared"] == 20 * len(PROFILES)
    assert nx_cmp["agreement_pct"] == 100.0
    assert nx_cmp["mismatches"] == []
    assert nx_cmp["speed_ratio"] > 1.0
    for name in PROFILES:
        assert summary["profiles"][name]["networkx"]["agreement_pct"] == 100.0


@pytest.mark.parametrize("name", ["latency.png", "detour.png", "routes_map.png"])
def test_plots_are_valid_pngs(run: tuple[int, Path], name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = run[1] / name
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = plt.imread(path)
    assert image.ndim == 3
    assert image.shape[0] > 200
    assert image.shape[1] > 200
    assert float(np.asarray(image).std()) > 0.01  # not a blank canvas


def test_same_seed_same_pairs_bytes(run: tuple[int, Path], centre_graph_dir: Path, tmp_path: Path) -> None:  # fmt: skip
    from graphs.store import load_graph

    graph = load_graph(centre_graph_dir)
    again = write_pairs(random_pairs(graph, 20, 1), tmp_path / "again.csv")
    assert again.read_bytes() == (run[1] / "pairs.csv").read_bytes()
    other = write_pairs(random_pairs(graph, 20, 2), tmp_path / "other.csv")
    assert other.read_bytes() != again.read_bytes()
    assert read_pairs(again) == random_pairs(graph, 20, 1)  # CSV round trip is exact


def test_processes_give_the_same_results(run: tuple[int, Path], centre_graph_dir: Path, tmp_path: Path) -> None:  # fmt: skip
    """Two worker processes, pairs read back from the CSV: same pairs, same routes."""
    out = tmp_path / "jobs2"
    code = main(
        ["bench", "--graph", str(centre_graph_dir), "--pairs", str(run[1] / "pairs.csv"),
         "--profiles", ",".join(PROFILES), "--out", str(out), "--quiet", "--jobs", "2"]
    )  # fmt: skip
    assert code == 0
    assert (out / "pairs.csv").read_bytes() == (run[1] / "pairs.csv").read_bytes()
    first, second = rows(run[1] / "results.csv"), rows(out / "results.csv")
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        for key in set(a) - TIMING_COLUMNS - {"nx_cost_s", "nx_agree"}:
            assert a[key] == b[key], (key, a, b)


def test_baseline_with_slower_figures_flags_regressions(
    run: tuple[int, Path], summary: dict[str, Any], centre_graph_dir: Path, tmp_path: Path
) -> None:
    """A doctored baseline where we were much faster and always accessible: exit status 3."""
    doctored = copy.deepcopy(summary)
    for s in doctored["profiles"].values():
        s["latency_ms"]["route"]["median"] /= 10.0
        s["yes_rate_pct"] = 100.0
    doctored["profiles"]["walk"]["success_rate_pct"] = 100.0
    base = tmp_path / "baseline.json"
    base.write_text(json.dumps(doctored))
    out = tmp_path / "run"
    assert bench(centre_graph_dir, out, "--jobs", "1", "--baseline", str(base)) == 3
    result = json.loads((out / "summary.json").read_text())
    metrics = {(r["profile"], r["metric"]) for r in result["regressions"]}
    assert ("walk", "latency_ms.route.median") in metrics
    assert ("wheelchair", "latency_ms.route.median") in metrics
    if summary["profiles"]["wheelchair"]["yes_rate_pct"] <= 99.0:
        assert ("wheelchair", "yes_rate_pct") in metrics
    assert result["baseline"]["file"] == str(base)


def test_baseline_like_itself_flags_none(
    run: tuple[int, Path], summary: dict[str, Any], centre_graph_dir: Path, tmp_path: Path
) -> None:
    """Comparing a run with itself finds nothing; so does a rerun against a slower baseline."""
    assert find_regressions(summary, summary) == ([], [])
    slower = copy.deepcopy(summary)
    for s in slower["profiles"].values():
        s["latency_ms"]["route"]["median"] *= 10.0  # timing noise must not flag the rerun
    base = tmp_path / "baseline.json"
    base.write_text(json.dumps(slower))
    out = tmp_path / "run"
    assert bench(centre_graph_dir, out, "--jobs", "1", "--baseline", str(base)) == 0
    result = json.loads((out / "summary.json").read_text())
    assert result["regressions"] == []
    notes = result["baseline"]["notes"]
    assert not [n for n in notes if "graph" in n or "pairs" in n], notes  # same graph and pairs


def test_rate_thresholds_are_one_point() -> None:
    def summ(success: float, yes: float, median: float) -> dict[str, Any]:
        return {"profiles": {"walk": {"success_rate_pct": success, "yes_rate_pct": yes, "latency_ms": {"route": {"median": median}}}}}  # fmt: skip

    base = summ(99.0, 90.0, 10.0)
    assert find_regressions(summ(98.01, 89.01, 11.99), base)[0] == []
    found = find_regressions(summ(98.0, 89.0, 12.0), base)[0]
    assert {r["metric"] for r in found} == {
        "success_rate_pct", "yes_rate_pct", "latency_ms.route.median"
    }  # fmt: skip


def test_a_baseline_before_the_verdict_is_noted_not_compared() -> None:
    """An old baseline's fully-accessible rate counted unknown data as accessible."""
    old = {"profiles": {"walk": {"success_rate_pct": 100.0, "fully_accessible_rate_pct": 100.0}}}
    new = {"profiles": {"walk": {"success_rate_pct": 100.0, "yes_rate_pct": 40.0}}}
    regressions, notes = find_regressions(new, old)
    assert regressions == []
    assert any("predates the verdict" in n for n in notes), notes


def test_bad_input_exits_2(centre_graph_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text("id,from,to\n1,2,3\n")
    args = ["bench", "--graph", str(centre_graph_dir), "--out", str(tmp_path / "o"), "--quiet"]
    assert main([*args, "--pairs", str(bad)]) == 2
    assert "origin_lat" in capsys.readouterr().err
    assert main([*args, "--random", "2", "--profiles", "hovercraft"]) == 2
    assert "hovercraft" in capsys.readouterr().err
    assert main([*args, "--random", "2", "--baseline", str(bad)]) == 2
    assert "baseline" in capsys.readouterr().err
