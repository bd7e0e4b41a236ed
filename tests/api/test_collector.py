"""``collector_paused``: the collector off inside, nested and across threads; as it was after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from api.collector import collector_paused, run_paused


@pytest.fixture(autouse=True)
def _enabled_after() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_enabled_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_overlapping_pauses_of_two_threads_end_with_the_last() -> None:
    gc.enable()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread's pause goes on
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_an_error_inside_ends_the_pause() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("x")
    assert gc.isenabled()


def test_run_paused_calls_with_the_collector_off_and_returns_its_result() -> None:
    gc.enable()

    def inside(a: int, *, b: int) -> tuple[int, bool]:
        return a + b, gc.isenabled()

    assert run_paused(inside, 1, b=2) == (3, False)
    assert gc.isenabled()
