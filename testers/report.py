"""Bench results → per-pair CSV, a JSON summary per profile, and regressions against a baseline.

Definitions used in ``summary.json`` (per profile; rates are percentages of *all* pairs):

- ``success_rate_pct``: pairs routed without an error (``out_of_area``, ``no_route``);
- ``yes_rate_pct``, ``unknown_rate_pct``, ``no_rate_pct``: pairs whose route's verdict
  (``Route.accessibility``) is "yes" (every limit of the profile known to hold), "unknown" (no
  known break, but some limit rests on unknown or estimated data) or "no" (a limit broken); the
  three add up to ``success_rate_pct``. ``known_share``: mean and median share of a route's
  length on which every attribute the profile limits is known;
- ``latency_ms.route``: ``Router.route(..., compare_walk=True)`` per successful pair — median,
  p95, p99, mean, max; ``latency_ms.search``: snapping plus ``Router.shortest_path`` alone;
- ``throughput_routes_per_s``: full routes per second of one process (1000 / mean route ms);
- ``detour``: the route's distance divided by the plain walking route's distance (median, p90,
  a histogram), and the extra metres;
- ``unknown_share``: length on edges with unknown data the profile cares about ÷ distance
  (mean, median, and the mean share per attribute).

A regression against a baseline summary is: the median route latency +20 % or more, or the
success rate or the share of "yes" verdicts down by one percentage point or more.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from testers.runner import PairResult, RunOutput

LATENCY_REGRESSION = 0.20  # +20 % median route latency
RATE_REGRESSION_POINTS = 1.0  # −1 percentage point success rate / share of "yes" verdicts
#: The rates a regression is looked for in (the "yes" share: unknown ≠ accessible).
RATE_METRICS = ("success_rate_pct", "yes_rate_pct")
#: The verdicts, each with its rate in the summary.
VERDICTS = ("yes", "unknown", "no")
DETOUR_BIN_EDGES = (0.0, 1.0, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0, math.inf)


class BaselineError(ValueError):
    """A baseline summary that cannot be read."""


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _finite(value: float | None) -> float | None:
    """``None`` for a missing or infinite value (JSON has no Infinity)."""
    return value if value is not None and math.isfinite(value) else None


def stats(values: Sequence[float], digits: int = 4) -> dict[str, float | None]:
    """Median, p95, p99, mean and max (``None`` for an empty list)."""
    if not values:
        return {"median": None, "p95": None, "p99": None, "mean": None, "max": None}
    arr = np.asarray(values, dtype=np.float64)
    return {
        "median": _round(float(np.median(arr)), digits),
        "p95": _round(float(np.percentile(arr, 95)), digits),
        "p99": _round(float(np.percentile(arr, 99)), digits),
        "mean": _round(float(arr.mean()), digits),
        "max": _round(float(arr.max()), digits),
    }


def _quantile(values: Sequence[float], q: float, digits: int = 4) -> float | None:
    return _round(float(np.percentile(np.asarray(values), q)), digits) if values else None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_results_csv(results: Sequence[PairResult], path: str | Path) -> Path:
    """One row per pair and profile (empty cells where a figure does not exist)."""
    out = Path(path)
    columns = PairResult.columns()
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in results:
            writer.writerow({k: _csv_value(v) for k, v in r.row().items()})
    return out


def _detour(rows: Sequence[PairResult]) -> dict[str, Any]:
    ratios = [r.detour_ratio for r in rows if r.detour_ratio is not None]
    extra = [r.detour_m for r in rows if r.detour_m is not None]
    counts, _ = np.histogram(np.asarray(ratios, dtype=np.float64), bins=np.array(DETOUR_BIN_EDGES))
    bins = [
        {"from": lo, "to": None if math.isinf(hi) else hi, "count": int(c)}
        for lo, hi, c in zip(DETOUR_BIN_EDGES[:-1], DETOUR_BIN_EDGES[1:], counts, strict=True)
    ]
    return {
        "routes": len(ratios),
        "median_ratio": _quantile(ratios, 50),
        "p90_ratio": _quantile(ratios, 90),
        "mean_ratio": _round(float(np.mean(ratios)), 4) if ratios else None,
        "max_ratio": _round(max(ratios), 4) if ratios else None,
        "longer_than_walk_pct": _pct(sum(1 for x in ratios if x > 1.0005), len(ratios)),
        "median_extra_m": _quantile(extra, 50, 1),
        "p90_extra_m": _quantile(extra, 90, 1),
        "histogram": bins,
    }


def _networkx(rows: Sequence[PairResult]) -> dict[str, Any] | None:
    done = [r for r in rows if r.nx_agree is not None]
    if not done:
        return None
    nx_ms = [r.nx_ms for r in done if r.nx_ms is not None]
    ours_ms = [r.nx_ours_ms for r in done if r.nx_ours_ms is not None]
    ours_med = float(np.median(ours_ms)) if ours_ms else math.nan
    nx_med = float(np.median(nx_ms)) if nx_ms else math.nan
    agreeing = sum(1 for r in done if r.nx_agree)
    return {
        "pairs_compared": len(done),
        "agreeing": agreeing,
        "agreement_pct": _pct(agreeing, len(done)),
        "median_ms_ours": _round(ours_med),
        "median_ms_networkx": _round(nx_med),
        "speed_ratio": _round(nx_med / ours_med, 1) if ours_med > 0 else None,
        "mismatches": [
            {
                "pair_id": r.pair_id,
                "ours_cost_s": _finite(r.cost_s),
                "networkx_cost_s": _finite(r.nx_cost_s),
            }
            for r in done
            if not r.nx_agree
        ][:20],
    }


def _unknown_by_attribute(rows: Sequence[PairResult]) -> dict[str, float]:
    """Mean share of route length on unknown data, per attribute (over all routes)."""
    totals: dict[str, float] = {}
    for r in rows:
        for item in (r.unknown_attributes or "").split(";"):
            name, sep, value = item.partition("=")
            if sep:
                totals[name] = totals.get(name, 0.0) + float(value)
    return {k: round(v / len(rows), 4) for k, v in sorted(totals.items())} if rows else {}


def profile_summary(rows: Sequence[PairResult]) -> dict[str, Any]:
    """The figures of one profile's results."""
    n = len(rows)
    ok = [r for r in rows if r.ok]
    route_ms = [r.route_ms for r in ok if r.route_ms is not None]
    search_ms = [r.search_ms for r in rows if r.search_ms is not None]
    verdicts = Counter(r.verdict for r in ok)
    shares = [r.known_share for r in ok if r.known_share is not None]
    errors = Counter(r.error for r in rows if r.error)
    summary: dict[str, Any] = {
        "pairs": n,
        "ok": len(ok),
        "errors": dict(sorted(errors.items())),
        "success_rate_pct": _pct(len(ok), n),
        **{f"{v}_rate_pct": _pct(verdicts[v], n) for v in VERDICTS},
        "known_share": {
            "mean": _round(float(np.mean(shares)), 4) if shares else None,
            "median": _quantile(shares, 50),
        },
        "latency_ms": {"route": stats(route_ms), "search": stats(search_ms)},
        "throughput_routes_per_s": (
            _round(1000.0 * len(route_ms) / sum(route_ms), 1) if route_ms else None
        ),
        "detour": _detour(ok),
        "distance_m": {
            "median": _quantile([r.distance_m for r in ok if r.distance_m is not None], 50, 1),
            "p90": _quantile([r.distance_m for r in ok if r.distance_m is not None], 90, 1),
        },
        "barriers_per_route": {
            kind: _round(float(np.mean([getattr(r, kind) for r in ok])), 3) if ok else None
            for kind in ("kerbs", "steps", "crossings")
        },
        "routes_with_steps_pct": _pct(sum(1 for r in ok if r.steps), len(ok)),
        "unknown_share": {
            "mean": _round(float(np.mean([r.unknown_share for r in ok])), 4) if ok else None,
            "median": _quantile([r.unknown_share for r in ok if r.unknown_share is not None], 50),
            "by_attribute": _unknown_by_attribute(ok),
        },
    }
    nx_summary = _networkx(rows)
    if nx_summary is not None:
        summary["networkx"] = nx_summary
    return summary


def summarize(output: RunOutput, profiles: Sequence[str], meta: dict[str, Any]) -> dict[str, Any]:
    """The whole ``summary.json``: run metadata, overall figures, per-profile figures."""
    by_profile = {p: [r for r in output.results if r.profile == p] for p in profiles}
    routes = len(output.results)
    ok = sum(1 for r in output.results if r.ok)
    summary: dict[str, Any] = {
        "run": meta | {"jobs": output.jobs, "routing_wall_s": round(output.wall_s, 3)},
        "overall": {
            "routes": routes,
            "ok": ok,
            "success_rate_pct": _pct(ok, routes),
            **{
                f"{v}_rate_pct": _pct(
                    sum(1 for r in output.results if r.ok and r.verdict == v), routes
                )
                for v in VERDICTS
            },
            "latency_ms": {
                "route": stats([r.route_ms for r in output.results if r.route_ms is not None]),
                "search": stats([r.search_ms for r in output.results if r.search_ms is not None]),
            },
            "throughput_routes_per_s": _round(routes / output.wall_s, 1) if output.wall_s else None,
        },
        "profiles": {p: profile_summary(rows) for p, rows in by_profile.items()},
    }
    compared = [r for r in output.results if r.nx_agree is not None]
    if compared:
        overall_nx = _networkx(compared)
        assert overall_nx is not None
        overall_nx["per_profile"] = {
            p: {k: s["networkx"][k] for k in ("agreement_pct", "speed_ratio")}
            for p, s in summary["profiles"].items()
            if "networkx" in s
        }
        mismatches = [
            {"pair_id": r.pair_id, "profile": r.profile, "ours_cost_s": _finite(r.cost_s), "networkx_cost_s": _finite(r.nx_cost_s)}
            for r in compared if not r.nx_agree
        ][:20]  # fmt: skip
        overall_nx["mismatches"] = mismatches
        summary["comparison"] = {"networkx": overall_nx}
    return summary


def load_baseline(path: str | Path) -> dict[str, Any]:
    """A ``summary.json`` of an earlier run."""
    src = Path(path)
    try:
        data = json.loads(src.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read the baseline {src}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"the baseline {src} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
        raise BaselineError(f"the baseline {src} is not a bench summary.json (no 'profiles')")
    return data


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def find_regressions(
    summary: dict[str, Any], baseline: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Regressions of ``summary`` against ``baseline``, and notes on what was not comparable."""
    regressions: list[dict[str, Any]] = []
    notes: list[str] = []
    base_run, run = baseline.get("run") or {}, summary.get("run") or {}
    base_sha, sha = _get(base_run, "graph", "source_sha256"), _get(run, "graph", "source_sha256")
    if base_sha != sha:
        notes.append("the baseline was made on another graph source (source_sha256 differs)")
    if _get(base_run, "pairs", "count") != _get(run, "pairs", "count") or _get(
        base_run, "pairs", "sha256"
    ) != _get(run, "pairs", "sha256"):
        notes.append("the baseline used other pairs (count or pairs.csv checksum differs)")
    load_base = _get(base_run, "machine", "load_average_at_start")
    load_now = _get(run, "machine", "load_average_at_start")
    if (
        isinstance(load_base, int | float)
        and isinstance(load_now, int | float)
        and abs(load_now - load_base) >= 1.0
    ):
        notes.append(
            f"the machine's load differed (load average {load_base:g} then, {load_now:g} now): "
            "latency changes may be other work, not the code"
        )
    for name, cur in summary["profiles"].items():
        base = baseline["profiles"].get(name)
        if not isinstance(base, dict):
            notes.append(f"profile {name} is not in the baseline")
            continue
        b_lat = _get(base, "latency_ms", "route", "median")
        c_lat = _get(cur, "latency_ms", "route", "median")
        if isinstance(b_lat, int | float) and isinstance(c_lat, int | float) and b_lat > 0:
            change = c_lat / b_lat - 1.0
            if change >= LATENCY_REGRESSION - 1e-12:
                regressions.append(
                    {
                        "profile": name, "metric": "latency_ms.route.median",
                        "baseline": b_lat, "current": c_lat, "change": f"{change * 100:+.1f} %",
                        "threshold": f"+{LATENCY_REGRESSION * 100:.0f} %",
                    }
                )  # fmt: skip
        if "yes_rate_pct" not in base and "fully_accessible_rate_pct" in base:
            notes.append(
                f"profile {name}: the baseline predates the verdict (no yes_rate_pct); its "
                "fully-accessible rate counted unknown data as accessible and is not compared"
            )
        for metric in RATE_METRICS:
            b, c = base.get(metric), cur.get(metric)
            if isinstance(b, int | float) and isinstance(c, int | float):
                drop = b - c
                if drop >= RATE_REGRESSION_POINTS - 1e-9:
                    regressions.append(
                        {
                            "profile": name, "metric": metric, "baseline": b, "current": c,
                            "change": f"{-drop:+.2f} points",
                            "threshold": f"-{RATE_REGRESSION_POINTS:g} point",
                        }
                    )  # fmt: skip
    return regressions, notes


def _fmt(value: Any, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def format_table(summary: dict[str, Any]) -> str:
    """A plain-text table of the headline figures per profile."""
    head = (
        f"{'profile':<20}{'ok %':>7}{'yes %':>7}{'unk %':>7}{'no %':>7}{'known':>7}{'med ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'search':>8}{'detour':>8}{'p90':>6}{'unknown':>8}{'routes/s':>9}"
    )
    lines = [head, "-" * len(head)]
    for name, s in summary["profiles"].items():
        lat = s["latency_ms"]["route"]
        lines.append(
            f"{name:<20}{_fmt(s['success_rate_pct'], '.1f'):>7}"
            f"{_fmt(s['yes_rate_pct'], '.1f'):>7}{_fmt(s['unknown_rate_pct'], '.1f'):>7}"
            f"{_fmt(s['no_rate_pct'], '.1f'):>7}{_fmt(s['known_share']['mean'], '.0%'):>7}"
            f"{_fmt(lat['median'], '.2f'):>8}{_fmt(lat['p95'], '.2f'):>8}"
            f"{_fmt(lat['p99'], '.2f'):>8}{_fmt(s['latency_ms']['search']['median'], '.3f'):>8}"
            f"{_fmt(s['detour']['median_ratio'], '.3f'):>8}{_fmt(s['detour']['p90_ratio'], '.2f'):>6}"
            f"{_fmt(s['unknown_share']['mean'], '.0%'):>8}"
            f"{_fmt(s['throughput_routes_per_s'], '.0f'):>9}"
        )
    lines.append(
        "(ok, yes/unk/no (the route's verdict): % of all pairs; known: mean share of a route's "
        "length with every limited attribute known; ms: Router.route with the walking comparison; search: snap + "
        "shortest_path; detour: distance ÷ plain walking route, median and p90; unknown: mean "
        "share of length on unknown data; routes/s: one process)"
    )
    cmp = summary.get("comparison", {}).get("networkx")
    if cmp:
        lines.append(
            f"networkx on the same weights: {cmp['agreeing']}/{cmp['pairs_compared']} costs agree "
            f"({cmp['agreement_pct']} %), networkx {cmp['median_ms_networkx']} ms vs ours "
            f"{cmp['median_ms_ours']} ms per search (×{cmp['speed_ratio']})"
        )
    return "\n".join(lines)


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Write ``summary.json`` (UTF-8, indented, no NaN)."""
    out = Path(path)
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    return out
