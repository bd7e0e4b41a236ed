"""PNG plots of a bench run (matplotlib, Agg canvas; no pyplot state, no display needed).

- ``latency.png``: route and search latency per profile (box plots, log scale);
- ``detour.png``: histogram of the detour ratio (distance ÷ plain walking distance) per profile;
- ``routes_map.png``: one example pair routed with every profile, over the street network drawn
  from the graph's edge geometries, with the OpenStreetMap attribution on the map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from accessibility_rules.attributes import OSM_ATTRIBUTION
from routing.engine import Router
from routing.errors import RoutingError
from routing.route import Route
from testers.pairs import Pair
from testers.runner import PairResult

DPI = 120
DETOUR_MIN, DETOUR_MAX, DETOUR_STEP = 0.9, 3.0, 0.05
#: Colours for up to 8 profiles (tab10 without grey), widest line drawn first.
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22")


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _by_profile(results: Sequence[PairResult], profiles: Sequence[str]) -> dict[str, list[PairResult]]:  # fmt: skip
    return {p: [r for r in results if r.profile == p] for p in profiles}


def plot_latency(results: Sequence[PairResult], profiles: Sequence[str], path: Path) -> Path:
    """Box plots of route and search latency per profile, log scale."""
    groups = _by_profile(results, profiles)
    fig = _figure(11, 4.8)
    axes = fig.subplots(1, 2, sharey=False)
    panels = (
        ("route_ms", "Router.route (with walking comparison)"),
        ("search_ms", "search only (snap + shortest_path)"),
    )
    for ax, (field, title) in zip(axes, panels, strict=True):
        data = [
            [getattr(r, field) for r in groups[p] if getattr(r, field) is not None]
            for p in profiles
        ]
        data = [d if d else [math.nan] for d in data]
        ax.boxplot(
            data, whis=(5, 95), showfliers=True, widths=0.6,
            flierprops={"markersize": 2, "alpha": 0.4}, medianprops={"color": "#d62728"},
        )  # fmt: skip
        ax.set_xticks(range(1, len(profiles) + 1), profiles, rotation=30, ha="right")
        ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_locator(LogLocator(base=10.0, subs=(2.0, 5.0)))
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.set_ylabel("milliseconds per query (log scale)")
        ax.set_title(title)
        ax.grid(axis="y", which="both", alpha=0.3)
        for i, d in enumerate(data, start=1):
            finite = [x for x in d if not math.isnan(x)]
            if finite:
                med = float(np.median(finite))
                ax.annotate(f"{med:.2f}", (i, med), xytext=(14, 0), textcoords="offset points",
                            fontsize=7, va="center")  # fmt: skip
    n = max((len(g) for g in groups.values()), default=0)
    fig.suptitle(f"Query latency per profile ({n} pairs each; whiskers 5–95 %, red = median)")
    fig.savefig(path)
    return path


def plot_detour(results: Sequence[PairResult], profiles: Sequence[str], path: Path) -> Path:
    """One histogram of the detour ratio per profile (values outside 0.9–3.0 in the end bins)."""
    groups = _by_profile(results, profiles)
    cols = min(4, max(1, len(profiles)))
    rows = math.ceil(len(profiles) / cols)
    fig = _figure(3.2 * cols, 2.6 * rows + 0.6)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, squeeze=False)).ravel()
    bins = np.arange(DETOUR_MIN, DETOUR_MAX + DETOUR_STEP / 2, DETOUR_STEP)
    for ax, (i, name) in zip(axes, enumerate(profiles), strict=False):
        ratios = np.array([r.detour_ratio for r in groups[name] if r.detour_ratio is not None])
        colour = COLOURS[i % len(COLOURS)]
        if len(ratios):
            ax.hist(np.clip(ratios, DETOUR_MIN, DETOUR_MAX - 1e-9), bins=bins, color=colour)
            med = float(np.median(ratios))
            p90 = float(np.percentile(ratios, 90))
            same = 100.0 * float(np.mean(np.abs(ratios - 1.0) < 0.0005))
            ax.axvline(med, color="black", linewidth=1)
            ax.text(0.97, 0.95, f"median {med:.3f}\np90 {p90:.3f}\n= walk {same:.0f} %",
                    transform=ax.transAxes, ha="right", va="top", fontsize=8)  # fmt: skip
        else:
            ax.text(0.5, 0.5, "no routes", transform=ax.transAxes, ha="center")
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.7)  # bars of one pair stay visible; panels share the baseline
        ax.set_title(name, fontsize=10)
        ax.set_xlim(DETOUR_MIN, DETOUR_MAX)
        ax.grid(alpha=0.3)
    for ax in axes[len(profiles) :]:
        ax.set_visible(False)
    fig.supxlabel("detour ratio = route distance ÷ plain walking distance (≥ 3 in the last bin)")
    fig.supylabel("pairs (log scale)")
    fig.suptitle("Detour versus the plain walking route, per profile (black line = median)")
    fig.savefig(path)
    return path


def choose_example(results: Sequence[PairResult], profiles: Sequence[str]) -> str | None:
    """The pair whose routes differ most between profiles (all profiles routed it).

    Ranked by the number of different route distances, then by a walking distance close to
    1.5 km (readable on one map), then by input order.
    """
    by_pair: dict[str, list[PairResult]] = {}
    order: list[str] = []
    for r in results:
        if r.pair_id not in by_pair:
            order.append(r.pair_id)
        by_pair.setdefault(r.pair_id, []).append(r)
    best: tuple[float, ...] | None = None
    chosen = None
    for rank, pid in enumerate(order):
        rows = by_pair[pid]
        if len(rows) < len(profiles) or not all(r.ok for r in rows):
            continue
        distinct = len({round(r.distance_m or 0.0) for r in rows})
        walk = rows[0].walk_distance_m or 0.0
        key = (-distinct, abs(walk - 1500.0) // 250, rank)
        if best is None or key < best:
            best, chosen = key, pid
    return chosen


def _network_segments(router: Router) -> list[np.ndarray]:
    g = router.graph
    rev = np.asarray(g.edge["reverse_edge"], dtype=np.int64)
    edges = np.arange(g.edge_count)
    keep = edges[(rev < 0) | (edges < rev)]
    first = np.asarray(g.geom_first)
    lon, lat = np.asarray(g.geom_lon), np.asarray(g.geom_lat)
    return [
        np.column_stack((lon[first[e] : first[e + 1]], lat[first[e] : first[e + 1]])) for e in keep
    ]


def plot_routes_map(router: Router, pair: Pair, profiles: Sequence[str], path: Path) -> Path:
    """One pair routed with every profile, over the street network (thin grey)."""
    routes: list[tuple[str, Route | None]] = []
    for name in profiles:
        try:
            routes.append((name, router.route(pair.origin, pair.destination, name)))
        except RoutingError:
            routes.append((name, None))
    lons = [pair.origin[1], pair.destination[1]]
    lats = [pair.origin[0], pair.destination[0]]
    for _, route in routes:
        if route is not None:
            xy = np.asarray(route.geometry)
            lons += [float(xy[:, 0].min()), float(xy[:, 0].max())]
            lats += [float(xy[:, 1].min()), float(xy[:, 1].max())]
    # the window: every route plus a margin, in metre-true proportions; the figure follows it
    lat0 = (min(lats) + max(lats)) / 2
    aspect = 1.0 / math.cos(math.radians(lat0))
    w = (max(lons) - min(lons)) / aspect * 1.2 + 0.003
    h = (max(lats) - min(lats)) * 1.2 + 0.003
    w, h = max(w, h / 1.6), max(h, w / 1.6)  # no slimmer than 1.6 : 1 either way
    cx = (min(lons) + max(lons)) / 2
    fig_w = 10.0
    fig = _figure(fig_w, fig_w * h / w + 1.6)
    ax = fig.subplots()
    ax.add_collection(LineCollection(_network_segments(router), colors="#a8a8a8", linewidths=0.5, zorder=1))  # fmt: skip
    drawn = [(i, n, r) for i, (n, r) in enumerate(routes) if r is not None]
    widths = np.linspace(8.0, 1.5, max(len(drawn), 1))
    for k, (i, name, route) in enumerate(drawn):
        xy = np.asarray(route.geometry)
        state = f"accessible: {route.accessibility.verdict}"
        label = f"{name}: {route.distance_m:.0f} m, {route.duration_s / 60:.0f} min, {state}"
        ax.plot(xy[:, 0], xy[:, 1], color=COLOURS[i % len(COLOURS)], linewidth=widths[k],
                alpha=0.9, solid_capstyle="round", label=label, zorder=2 + k)  # fmt: skip
    for name, route in routes:
        if route is None:
            ax.plot([], [], color="white", label=f"{name}: no route")
    ax.plot(pair.origin[1], pair.origin[0], "o", color="black", markersize=10, zorder=20, label="origin")  # fmt: skip
    ax.plot(pair.destination[1], pair.destination[0], "s", color="black", markersize=10, zorder=20, label="destination")  # fmt: skip
    ax.set_xlim(cx - w * aspect / 2, cx + w * aspect / 2)
    ax.set_ylim(lat0 - h / 2, lat0 + h / 2)
    ax.set_aspect(aspect)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.ticklabel_format(useOffset=False)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    ax.set_title(
        f"Pair {pair.id}: the same trip for every profile (widest line drawn first)", fontsize=11
    )
    ax.text(0.995, 0.005, f"Map data {OSM_ATTRIBUTION}", transform=ax.transAxes, ha="right",
            va="bottom", fontsize=8, bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
            zorder=30)  # fmt: skip
    fig.savefig(path)
    return path


def plot_all(
    router: Router,
    results: Sequence[PairResult],
    pairs: Sequence[Pair],
    profiles: Sequence[str],
    out_dir: Path,
) -> dict[str, Path]:
    """Write the three PNGs into ``out_dir``; return them by name."""
    out = {
        "latency": plot_latency(results, profiles, out_dir / "latency.png"),
        "detour": plot_detour(results, profiles, out_dir / "detour.png"),
    }
    pid = choose_example(results, profiles)
    by_id = {p.id: p for p in pairs}
    pair = by_id[pid] if pid is not None else pairs[0]
    out["routes_map"] = plot_routes_map(router, pair, profiles, out_dir / "routes_map.png")
    return out
