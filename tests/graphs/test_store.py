"""Tests for graphs.store: round trips, atomic saves, errors and the load time of the city graph."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pytest

from graphs.build import build_graph
from graphs.model import CompiledGraph, GraphFormatError
from graphs.sources import read_osm_file
from graphs.store import (
    ATTRIBUTE_SCHEMA,
    FORMAT_VERSION,
    GraphNotFoundError,
    load_graph,
    save_graph,
)
from tests.conftest import RealBuild


def _build(osm_fixtures: Path, name: str) -> CompiledGraph:
    graph, _ = build_graph(read_osm_file(osm_fixtures / f"{name}.osm"))
    return graph


@pytest.fixture(scope="module")
def graph(osm_fixtures: Path) -> CompiledGraph:
    return _build(osm_fixtures, "kerb_crossing")


@pytest.fixture(scope="module")
def other_graph(osm_fixtures: Path) -> CompiledGraph:
    return _build(osm_fixtures, "steps")


def _arrays(g: CompiledGraph) -> dict[str, np.ndarray]:
    core = ("first_out", "head", "tail", "geom_first", "geom_lon", "geom_lat")
    out = {name: getattr(g, name) for name in core}
    out |= {f"edge.{k}": v for k, v in g.edge.items()}
    out |= {f"node.{k}": v for k, v in g.node.items()}
    return out


def assert_same_graph(a: CompiledGraph, b: CompiledGraph) -> None:
    arrays_a, arrays_b = _arrays(a), _arrays(b)
    assert arrays_a.keys() == arrays_b.keys()
    for name, x in arrays_a.items():
        y = arrays_b[name]
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert a.names == b.names


def _leftovers(parent: Path) -> list[str]:
    """Hidden temporary or backup folders that a save may have left next to its target."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_round_trip(graph: CompiledGraph, tmp_path: Path) -> None:
    out = save_graph(graph, tmp_path / "g")
    assert out == tmp_path / "g"
    loaded = load_graph(out)
    assert_same_graph(graph, loaded)
    assert loaded.meta == graph.meta | {
        "format_version": FORMAT_VERSION,
        "attribute_schema": ATTRIBUTE_SCHEMA,
    }
    assert "Marktstraße" in loaded.names  # non-ASCII names survive
    assert _leftovers(tmp_path) == []


def test_round_trip_with_memory_map(graph: CompiledGraph, tmp_path: Path) -> None:
    save_graph(graph, tmp_path / "g")
    loaded = load_graph(tmp_path / "g", mmap=True)
    array = loaded.edge["length_m"]
    assert type(array) is np.ndarray  # a plain view: no memmap.__getitem__ per index
    assert isinstance(array.base, np.memmap)  # …of the file's mapping, not a copy
    assert not array.flags.writeable
    assert_same_graph(graph, loaded)


def test_save_does_not_change_the_graph_in_memory(graph: CompiledGraph, tmp_path: Path) -> None:
    before = dict(graph.meta)
    save_graph(graph, tmp_path / "g")
    assert graph.meta == before  # format_version goes only into the file


def test_save_replaces_an_existing_graph(
    graph: CompiledGraph, other_graph: CompiledGraph, tmp_path: Path
) -> None:
    save_graph(graph, tmp_path / "g")
    save_graph(other_graph, tmp_path / "g")
    assert_same_graph(other_graph, load_graph(tmp_path / "g"))
    assert _leftovers(tmp_path) == []


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    real_save = np.save
    calls = {"count": 0}

    def failing_save(*args: object, **kwargs: object) -> None:
        calls["count"] += 1
        if calls["count"] == n:
            raise OSError("disk full (simulated)")
        real_save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(np, "save", failing_save)


def test_failed_save_keeps_the_existing_graph(
    graph: CompiledGraph,
    other_graph: CompiledGraph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    save_graph(graph, tmp_path / "g")
    _fail_on_call(monkeypatch, 5)
    with pytest.raises(OSError, match="simulated"):
        save_graph(other_graph, tmp_path / "g")
    monkeypatch.undo()
    assert_same_graph(graph, load_graph(tmp_path / "g"))
    assert _leftovers(tmp_path) == []


def test_failed_final_rename_keeps_the_existing_graph(
    graph: CompiledGraph,
    other_graph: CompiledGraph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    save_graph(graph, tmp_path / "g")
    real_replace = os.replace
    calls = {"count": 0}

    def failing_replace(src: object, dst: object) -> None:
        calls["count"] += 1
        if calls["count"] == 2:  # 1: existing graph → .g.old, 2: temp folder → g
            raise OSError("rename failed (simulated)")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        save_graph(other_graph, tmp_path / "g")
    monkeypatch.undo()
    assert_same_graph(graph, load_graph(tmp_path / "g"))
    assert _leftovers(tmp_path) == []


def test_failed_first_save_leaves_nothing(
    graph: CompiledGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_call(monkeypatch, 5)
    with pytest.raises(OSError, match="simulated"):
        save_graph(graph, tmp_path / "g")
    assert list(tmp_path.iterdir()) == []


def test_invalid_graph_is_not_saved(graph: CompiledGraph, tmp_path: Path) -> None:
    broken = CompiledGraph(
        first_out=graph.first_out,
        head=graph.head,
        tail=graph.tail[::-1].copy(),
        geom_first=graph.geom_first,
        geom_lon=graph.geom_lon,
        geom_lat=graph.geom_lat,
        edge=graph.edge,
        node=graph.node,
    )
    with pytest.raises(GraphFormatError, match="tail"):
        save_graph(broken, tmp_path / "g")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("names", [["Am Altenhof", ""], ["Am Altenhof", "Am Altenhof"]])
def test_names_must_be_distinct_and_not_empty(graph: CompiledGraph, names: list[str]) -> None:
    """A name is its id (the legs kernel compares ids): an empty or repeated name is refused."""
    with pytest.raises(GraphFormatError, match="names"):
        dataclasses.replace(graph, names=names).validate()


def test_load_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(GraphNotFoundError, match="no compiled graph"):
        load_graph(tmp_path / "nothing-here")


def test_load_dir_without_meta(tmp_path: Path) -> None:
    (tmp_path / "head.npy").write_bytes(b"")
    with pytest.raises(GraphNotFoundError):
        load_graph(tmp_path)


@pytest.mark.parametrize("version", [0, 1, None, "2"])
def test_load_other_format_version(graph: CompiledGraph, tmp_path: Path, version: object) -> None:
    out = save_graph(graph, tmp_path / "g")
    meta = json.loads((out / "meta.json").read_text())
    meta["format_version"] = version
    (out / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(GraphFormatError, match="rebuild"):
        load_graph(out)


def test_load_graph_of_another_attribute_schema(graph: CompiledGraph, tmp_path: Path) -> None:
    out = save_graph(graph, tmp_path / "g")
    meta = json.loads((out / "meta.json").read_text())
    meta["attribute_schema"] = "0000000000000000"
    (out / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(GraphFormatError, match="rebuild"):
        load_graph(out)


def test_load_truncated_array(graph: CompiledGraph, tmp_path: Path) -> None:
    out = save_graph(graph, tmp_path / "g")
    data = (out / "head.npy").read_bytes()
    (out / "head.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(GraphFormatError, match="damaged"):
        load_graph(out)


def test_load_missing_core_array(graph: CompiledGraph, tmp_path: Path) -> None:
    out = save_graph(graph, tmp_path / "g")
    (out / "geom_lat.npy").unlink()
    with pytest.raises(GraphFormatError, match="damaged"):
        load_graph(out)


def test_load_missing_attribute_array(graph: CompiledGraph, tmp_path: Path) -> None:
    out = save_graph(graph, tmp_path / "g")
    (out / "edge.length_m.npy").unlink()
    with pytest.raises(GraphFormatError, match="length_m"):
        load_graph(out)


def test_load_attribute_array_of_wrong_length(graph: CompiledGraph, tmp_path: Path) -> None:
    out = save_graph(graph, tmp_path / "g")
    np.save(out / "node.kerb.npy", np.zeros(graph.node_count + 1, dtype=np.int8))
    with pytest.raises(GraphFormatError, match="wrong length"):
        load_graph(out)


def test_load_missing_names(graph: CompiledGraph, tmp_path: Path) -> None:
    out = save_graph(graph, tmp_path / "g")
    (out / "names.json").unlink()
    with pytest.raises(GraphFormatError, match="damaged"):
        load_graph(out)


def test_load_damaged_meta(graph: CompiledGraph, tmp_path: Path) -> None:
    out = save_graph(graph, tmp_path / "g")
    (out / "meta.json").write_text('{"format_version": 1, "source": ')
    with pytest.raises(GraphFormatError):
        load_graph(out)


@pytest.mark.realdata
def test_load_time_of_the_kaiserslautern_graph(kaiserslautern_graph: RealBuild) -> None:
    load_graph(kaiserslautern_graph.out_dir)  # warm the page cache
    times = []
    for _ in range(3):
        started = time.perf_counter()
        g = load_graph(kaiserslautern_graph.out_dir)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    load_graph(kaiserslautern_graph.out_dir, mmap=True)
    mmap_s = time.perf_counter() - started
    print(
        f"\nKaiserslautern graph ({g.node_count} nodes, {g.edge_count} edges): "
        f"load {min(times) * 1000:.1f} ms (best of 3), mmap {mmap_s * 1000:.1f} ms, "
        f"build {kaiserslautern_graph.seconds:.2f} s"
    )
    assert min(times) < 1.0


def test_a_saved_graph_is_on_the_disk_before_it_is_named(
    graph: CompiledGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file and the temporary folder are synced before the rename, the parent folder
    after it (graphs/durable.py: a power cut then leaves the old graph or the new one whole,
    not a graph "damaged" at its next load)."""
    import os

    import graphs.durable
    import graphs.store

    events: list[tuple[str, str]] = []
    sync, rename = graphs.durable.fsync_path, os.replace

    def synced(path: Path) -> None:
        events.append(("sync", str(path)))
        sync(path)

    def renamed(src: str | Path, dst: str | Path) -> None:
        events.append(("rename", str(dst)))
        rename(src, dst)

    monkeypatch.setattr(graphs.durable, "fsync_path", synced)
    monkeypatch.setattr(graphs.store, "fsync_path", synced)
    monkeypatch.setattr(graphs.store.os, "replace", renamed)
    out = save_graph(graph, tmp_path / "g")
    first_rename = events.index(("rename", str(out)))
    synced_before = {Path(p).name for kind, p in events[:first_rename] if kind == "sync"}
    assert {p.name for p in out.iterdir()} <= synced_before
    assert any(name.startswith(".g.") for name in synced_before)  # the temporary folder
    assert events[first_rename + 1 :] == [("sync", str(tmp_path))]
    assert load_graph(out).edge_count == graph.edge_count
