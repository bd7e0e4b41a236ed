"""The write beacon: a shared counter that carries "obstacles changed" between worker processes."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from api.obstacles.beacon import WriteBeacon, beacon_path


def test_processes_on_one_path_see_each_others_bumps(tmp_path: Path) -> None:
    path = tmp_path / "run" / "obstacles.beacon"
    writer, reader = WriteBeacon(path), WriteBeacon(path)
    assert writer.enabled
    assert reader.enabled
    before = reader.value()
    writer.bump()
    writer.bump()
    assert reader.value() == before + 2
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert oct(path.parent.stat().st_mode & 0o777) == oct(0o700)
    writer.close()
    reader.close()


def _bump_many(path: str, times: int) -> None:
    beacon = WriteBeacon(Path(path))
    for _ in range(times):
        beacon.bump()
    beacon.close()


def test_concurrent_bumps_from_processes_are_never_lost(tmp_path: Path) -> None:
    path = tmp_path / "obstacles.beacon"
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_bump_many, args=(str(path), 300)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    assert WriteBeacon(path).value() == 900


def test_databases_get_their_own_beacon() -> None:
    a = beacon_path("sqlite:////srv/a.db")
    assert a == beacon_path("sqlite:////srv/a.db")
    assert a != beacon_path("sqlite:////srv/b.db")
    assert a.parent.name == f"stufenlos-{os.getuid()}"


def test_a_beacon_that_cannot_be_made_is_off_not_an_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    beacon = WriteBeacon(blocked / "obstacles.beacon")  # its folder cannot be made
    assert not beacon.enabled
    beacon.bump()  # a no-op
    assert beacon.value() == 0
    assert not WriteBeacon(None).enabled


@pytest.mark.parametrize("size", [0, 3])
def test_a_short_file_is_extended(tmp_path: Path, size: int) -> None:
    path = tmp_path / "obstacles.beacon"
    path.write_bytes(b"\0" * size)
    beacon = WriteBeacon(path)
    beacon.bump()
    assert beacon.value() == 1
