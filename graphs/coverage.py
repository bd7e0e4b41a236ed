"""Data-coverage report: how much of the network's accessibility data is known.

City staff read it to see where mapping is missing. Shares are of *edge length* (each two-way
piece counted once) and are computed over the edges where the attribute applies: handrails and
step counts over steps, sidewalks over roads, signals over crossings. Which attributes show, and
how (length share or count), comes from :mod:`accessibility_rules.registry`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from accessibility_rules import registry
from accessibility_rules.attributes import (
    AcousticSignal,
    CrossingKind,
    InclineSource,
    KerbHeightSource,
    KerbKind,
    is_road_class,
    is_unknown,
)
from accessibility_rules.effective import effective_edges
from graphs.model import CompiledGraph


def _share(length: np.ndarray, applies: np.ndarray, known: np.ndarray) -> dict[str, float]:
    total = float(length[applies].sum())
    known_m = float(length[applies & known].sum())
    return {
        "applies_km": round(total / 1000.0, 3),
        "known_km": round(known_m / 1000.0, 3),
        "known_share": round(known_m / total, 4) if total > 0 else 0.0,
    }


def _junctions_with_unmapped_kerbs(graph: CompiledGraph) -> int:
    """Road junctions where a walk along a road crosses a side road's kerbs that nobody mapped
    (:mod:`accessibility_rules.effective`: the only kerbs of unknown height on an edge that
    counts no mapped kerb)."""
    eff = effective_edges(graph)
    implied = (eff.kerb_unknown_count > 0) & (eff.kerb_count == 0)
    return int(np.unique(graph.head[implied]).size)


def coverage_report(graph: CompiledGraph, malformed: Counter[str] | None = None) -> dict[str, Any]:
    """Counts and known-length shares for every accessibility attribute of ``graph``."""
    e, nd = graph.edge, graph.node
    once = np.arange(graph.edge_count) <= np.where(
        e["reverse_edge"] >= 0, e["reverse_edge"], graph.edge_count
    )
    length = np.where(once, e["length_m"], 0.0)
    every = np.ones(graph.edge_count, dtype=bool)
    steps = e["is_steps"]
    roads = is_road_class(e["highway"])
    crossing_edges = e["crossing"] != CrossingKind.NONE
    kerb_nodes = nd["kerb"] != KerbKind.NONE
    crossing_nodes = nd["crossing"] != CrossingKind.NONE
    source = e["incline_source"]
    applies = {"all": every, "steps": steps, "roads": roads, "crossings": crossing_edges}
    attributes: dict[str, dict[str, float]] = {}
    for a in registry.coverage_entries(registry.Coverage.LENGTH_SHARE):
        label = a.coverage_label or a.name
        known = ~is_unknown(e[a.name])
        attributes[label] = _share(length, applies[a.coverage_applies], known)
        if a.name == "incline_percent":
            attributes[f"{label}_from_tag"] = _share(length, every, source == InclineSource.TAG)
            attributes[f"{label}_from_dem"] = _share(length, every, source == InclineSource.DEM)
    counts = {
        "nodes": graph.node_count,
        "edges_directed": graph.edge_count,
        "network_km": round(float(length.sum()) / 1000.0, 3),
        "kerb_nodes": int(kerb_nodes.sum()),
        "kerb_nodes_with_height": int((kerb_nodes & np.isfinite(nd["kerb_height_cm"])).sum()),
        "kerb_heights_tagged": int((nd["kerb_height_source"] == KerbHeightSource.TAG).sum()),
        "kerb_crossing_ways": int((once & crossing_edges & (e["kerb"] != KerbKind.NONE)).sum()),
        "steps_edges": int((once & steps).sum()),
        "steps_edges_with_step_count": int((once & steps & (e["step_count"] > 0)).sum()),
        "steps_total_step_count": int(e["step_count"][once & steps & (e["step_count"] > 0)].sum()),
        "crossing_nodes": int(crossing_nodes.sum()),
        "crossing_edges": int((once & crossing_edges).sum()),
        "acoustic_signal_nodes": int((nd["acoustic_signal"] == AcousticSignal.YES).sum()),
        "acoustic_signal_crossing_edges": int(
            (once & (e["acoustic_signal"] == AcousticSignal.YES)).sum()
        ),
        "tactile_paving_nodes": int((nd["tactile_paving"] == 1).sum()),
        "island_crossing_nodes": int((nd["crossing_island"] == 1).sum()),
        "island_crossing_edges": int((once & (e["crossing_island"] == 1)).sum()),
        "junctions_with_unmapped_kerbs": _junctions_with_unmapped_kerbs(graph),
        "elevators": int(nd["is_elevator"].sum() + (once & e["is_elevator"]).sum()),
        "entrances": int(nd["is_entrance"].sum()),
    }
    for a in registry.coverage_entries(registry.Coverage.COUNT):
        absent = 0 if a.absent is None else a.absent
        values = nd[a.name] if a.table == "node" else np.where(once, e[a.name], absent)
        present = values != absent
        label = a.coverage_label or a.name
        counts[label] = int(present.sum())
        counts[f"{label}_{a.coverage_known_label}"] = int((present & ~is_unknown(values)).sum())
    feature_counts, surroundings = _feature_counts(graph, once, length)
    counts |= feature_counts
    return {
        "source": graph.meta.get("source"),
        "attribution": graph.meta.get("attribution"),
        "counts": counts,
        "surroundings": surroundings,
        "features": graph.meta.get("features", {}),
        "source_counts": graph.meta.get("source_counts", {}),
        "known_share_of_length": attributes,
        "malformed_tag_values": dict(sorted((malformed or Counter()).items())),
        "assumptions": {
            "kerb_height_cm_from_kerb_tag": graph.meta.get("assumed_kerb_height_cm"),
            "untagged_crossing_ways": "a crossing way without kerb tags and without kerb nodes "
            "crosses a kerb of unknown height",
            "roads": "a road's width tag is the carriageway, never the sidewalk width",
            "road_junctions": "a walk along a road through a junction crosses the side road's "
            "kerbs, of unknown height unless the node or the road's sidewalk maps them",
        },
    }


def _feature_counts(
    graph: CompiledGraph, once: np.ndarray, length: np.ndarray
) -> tuple[dict[str, int], dict[str, Any]]:
    """Seat and tree counts (OSM and register, with and without genus), and the rates: seats per
    km of network, green and grass share of the network length. A source not read for them (a
    download) has its rates ``"unknown"`` (``surroundings_read`` false), not 0.

    Seats are counted once per place: a joined seat is listed for both directions of its edge,
    a node seat on every edge at the node, so they are counted from the join's statistics.
    """
    stats = graph.meta.get("features")
    if not stats:
        return {}, {}
    e = graph.edge
    total_m = float(length.sum())
    seats = int(stats["seats_joined"]) + int(stats["seats_on_network_nodes"])
    counts: dict[str, int] = {
        "seats_read": stats["seats_read"],
        "seats_on_network": seats,
        "seats_not_joined_across_road": stats["seats_across_road"],
        "seats_not_joined_beyond_distance": stats["seats_beyond_distance"],
        "edges_with_seat": int((once & np.isfinite(e["seat_first_m"])).sum()),
        "trees_osm": stats["trees_osm"],
        "trees_osm_with_genus": stats["trees_osm_with_genus"],
        "trees_osm_without_genus": stats["trees_osm"] - stats["trees_osm_with_genus"],
    }
    if "trees_register" in stats:
        counts["trees_register"] = stats["trees_register"]
        counts["trees_register_with_genus"] = stats["trees_register_with_genus"]
        counts["trees_register_without_genus"] = (
            stats["trees_register"] - stats["trees_register_with_genus"]
        )
    counts["trees_from_tree_rows"] = stats["trees_from_tree_rows"]
    counts["trees_near_network"] = stats["trees_near_network"]
    counts["edges_in_named_parks"] = int((once & (e["park_id"] >= 0)).sum())
    counts["named_parks"] = len(graph.meta.get("parks", []))
    if not stats.get("read", True):
        unknown = "unknown"
        return counts, {"surroundings_read": False, "seats_per_km": unknown} | {
            f"{column}_of_length": unknown for column in ("green_share", "grass_share")
        }
    rates: dict[str, Any] = {
        "seats_per_km": round(seats / (total_m / 1000.0), 3) if total_m > 0 else 0.0
    }
    for column in ("green_share", "grass_share"):
        covered = float((length * e[column]).sum())
        rates[f"{column}_of_length"] = round(covered / total_m, 4) if total_m > 0 else 0.0
    return counts, rates


def format_report(report: dict[str, Any]) -> str:
    """A readable console summary of :func:`coverage_report`."""
    lines = [f"Data coverage for {report['source']}", ""]
    lines += [f"  {k.replace('_', ' '):<36} {v}" for k, v in report["counts"].items()]
    if report.get("source_counts"):
        lines += ["", "  in the source data (before cutting to the connected network):"]
        lines += [f"  {k.replace('_', ' '):<36} {v}" for k, v in report["source_counts"].items()]
    if report.get("surroundings"):
        lines += ["", "  seats, trees and green beside the network:"]
        lines += [f"  {k.replace('_', ' '):<36} {v}" for k, v in report["surroundings"].items()]
    lines += ["", f"  {'attribute':<36} {'known':>7}  {'of km':>9}"]
    for name, s in report["known_share_of_length"].items():
        lines.append(f"  {name:<36} {s['known_share'] * 100:6.1f}%  {s['applies_km']:9.2f}")
    if report["malformed_tag_values"]:
        bad = ", ".join(f"{k}: {v}" for k, v in report["malformed_tag_values"].items())
        lines += ["", f"  malformed tag values (now unknown): {bad}"]
    lines += ["", f"  {report['attribution']}"]
    return "\n".join(lines)
