"""``api.obstacles.stored_matches``: the key of a graph; ``api.db.chunks``: the ids' IN lists."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from api.db import chunks
from api.db.chunks import id_chunks
from api.obstacles import stored_matches
from api.obstacles.stored_matches import match_key
from graphs.store import load_graph


def test_ids_come_in_sorted_lists_of_at_most_a_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "ID_CHUNK", 3)
    ids = {f"o{i:02d}" for i in range(8)}
    lists = list(id_chunks(ids))
    assert [len(c) for c in lists] == [3, 3, 2]
    assert [i for c in lists for i in c] == sorted(ids)
    assert list(id_chunks(set())) == []


@pytest.mark.realdata
def test_the_key_names_the_graph_and_the_tolerance(centre_graph_dir: Path) -> None:
    graph = load_graph(centre_graph_dir)
    key = match_key(graph, 5.0)
    assert key == match_key(load_graph(centre_graph_dir), 5.0)  # the same graph loaded again
    assert key != match_key(graph, 6.0)
    moved = dataclasses.replace(graph, head=graph.head[::-1].copy())
    assert key != match_key(moved, 5.0)


@pytest.mark.realdata
def test_without_the_matchers_source_its_code_names_it(
    centre_graph_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed without sources (``inspect.getsource`` fails), the key is still made, the
    same each time, from the matcher's compiled functions."""
    graph = load_graph(centre_graph_dir)
    with_source = match_key(graph, 5.0)

    def no_source(obj: object) -> str:
        raise OSError("could not get source code")

    monkeypatch.setattr(stored_matches.inspect, "getsource", no_source)
    assert match_key(graph, 5.0) == match_key(graph, 5.0) != with_source
