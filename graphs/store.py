"""Save and load a compiled graph: one ``.npy`` file per array plus ``meta.json``.

Arrays are stored uncompressed so that loading is a handful of reads (or memory maps); the whole
city loads in a few milliseconds. Saving is atomic: everything is written into a temporary
sibling directory that replaces the target only when complete, so an interrupted build never
leaves a half-written graph that looks good.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from accessibility_rules.registry import schema_fingerprint
from graphs.durable import fsync_path, fsync_written
from graphs.model import CompiledGraph, GraphFormatError

#: Version of the folder layout. The arrays themselves follow the attribute registry, whose
#: fingerprint is stored beside it: a graph built under another registry must be rebuilt.
FORMAT_VERSION = (
    6  # 6: node road_arms; 5: a seat beside a node counts on every edge there; 4: meta["stops"]
)
ATTRIBUTE_SCHEMA = schema_fingerprint()
_CORE = ("first_out", "head", "tail", "geom_first", "geom_lon", "geom_lat")


class GraphNotFoundError(FileNotFoundError):
    """No compiled graph at the given directory."""


def save_graph(graph: CompiledGraph, out_dir: str | Path) -> Path:
    """Write ``graph`` to ``out_dir`` atomically and return the directory."""
    graph.validate()
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name in _CORE:
            np.save(tmp / f"{name}.npy", getattr(graph, name))
        for prefix, table in (("edge", graph.edge), ("node", graph.node), ("seat", graph.seats)):
            for name, arr in table.items():
                np.save(tmp / f"{prefix}.{name}.npy", np.ascontiguousarray(arr))
        meta = dict(graph.meta, format_version=FORMAT_VERSION, attribute_schema=ATTRIBUTE_SCHEMA)
        (tmp / "names.json").write_text(json.dumps(graph.names, ensure_ascii=False))
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))
        fsync_written(tmp)  # on the disk before it is named (graphs/durable.py)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.with_name(f".{out.name}.old")
    moved = False
    try:
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            moved = True
        os.replace(tmp, out)
        fsync_path(out.parent)  # the renames too
    except BaseException:
        if moved and not out.exists():
            os.replace(old, out)  # put the previous good graph back
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out


def _load_array(file: Path, mode: Literal["r"] | None) -> np.ndarray:
    """One ``.npy`` array, memory-mapped read-only when ``mode`` is ``"r"``.

    A mapped array is returned as a plain :class:`numpy.ndarray` view of the mapping (it keeps
    the mapping alive): ``np.memmap``'s Python-level ``__getitem__`` and ``__array_finalize__``
    run on every index and every result, about a tenth of a route's report time, while the
    pages stay shared between processes all the same."""
    array = np.load(file, mmap_mode=mode)
    return array.view(np.ndarray) if isinstance(array, np.memmap) else array


def load_graph(path: str | Path, *, mmap: bool = False) -> CompiledGraph:
    """Load a compiled graph written by :func:`save_graph`.

    Raises :class:`GraphNotFoundError` if there is none and :class:`GraphFormatError` if it is
    damaged or of another format version.
    """
    root = Path(path)
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise GraphNotFoundError(f"no compiled graph in {root} (meta.json is missing)")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise GraphFormatError(
            f"graph in {root} is damaged: meta.json is unreadable ({exc})"
        ) from exc
    if not isinstance(meta, dict):
        raise GraphFormatError(f"graph in {root} is damaged: meta.json is not an object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise GraphFormatError(
            f"graph in {root} has format version {meta.get('format_version')}, "
            f"this software reads version {FORMAT_VERSION}: rebuild it"
        )
    if meta.get("attribute_schema") != ATTRIBUTE_SCHEMA:
        raise GraphFormatError(
            f"graph in {root} was built with other attributes (schema "
            f"{meta.get('attribute_schema')}, this software has {ATTRIBUTE_SCHEMA}): rebuild it"
        )
    mode: Literal["r"] | None = "r" if mmap else None
    try:
        core = {name: _load_array(root / f"{name}.npy", mode) for name in _CORE}
        tables: dict[str, dict[str, np.ndarray]] = {"edge": {}, "node": {}, "seat": {}}
        for file in sorted(root.glob("*.*.npy")):
            prefix, name, _ = file.name.split(".", 2)
            if prefix in tables:
                tables[prefix][name] = _load_array(file, mode)
        names = json.loads((root / "names.json").read_text())
    except (OSError, ValueError) as exc:
        raise GraphFormatError(f"graph in {root} is damaged: {exc}") from exc
    graph = CompiledGraph(
        **core,
        edge=tables["edge"],
        node=tables["node"],
        names=names,
        meta=meta,
        seats=tables["seat"],
    )
    graph.validate()
    return graph
