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


def test_a_removed_file_is_mapped_anew_and_every_process_meets_on_it(tmp_path: Path) -> None:
    """A temporary-file cleaner removes the file while workers hold it; a worker forked then
    makes a new one at the path. At their next poll (``heal``) the others map that one: bumps
    reach everyone again. With the file in place, ``heal`` does nothing."""
    path = tmp_path / "obstacles.beacon"
    old_a, old_b = WriteBeacon(path), WriteBeacon(path)
    assert not old_a.heal()
    path.unlink()
    respawned = WriteBeacon(path)  # a worker started after the removal
    before = old_a.value()
    respawned.bump()
    assert old_a.value() == before  # split: two files
    assert old_a.heal()
    assert not old_a.heal()
    respawned.bump()
    assert old_a.value() == respawned.value() == 2
    assert old_b.heal()
    old_b.bump()
    assert old_a.value() == respawned.value() == old_b.value() == 3
    path.unlink()  # removed, and no process made it again: the first to poll does
    assert old_b.heal()
    assert path.exists()
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert old_a.heal()
    assert respawned.heal()
    old_a.bump()
    assert old_b.value() == respawned.value() == 1
    for beacon in (old_a, old_b, respawned):
        beacon.close()
        assert not beacon.heal()  # closed: nothing to heal


def test_a_beacon_that_cannot_be_made_again_stays_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "obstacles.beacon"
    beacon = WriteBeacon(path)
    beacon.bump()
    path.unlink()
    monkeypatch.setattr(os, "open", _refused)
    assert not beacon.heal()
    beacon.bump()  # on the file it holds
    assert beacon.value() == 2


def _refused(*args: object, **kwargs: object) -> int:
    raise PermissionError("read-only file system")
