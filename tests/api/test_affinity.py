"""Which CPU each worker runs on (:mod:`api.affinity`): the rule, the setting, and pinning."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.affinity import available_cpus, pin_to_cpu, worker_cpus
from api.settings import Settings


@pytest.mark.parametrize(
    ("mode", "workers", "cpus", "expected"),
    [
        ("auto", 2, [0, 1], [0, 1]),  # one worker per CPU
        ("auto", 4, [2, 5], [2, 5, 2, 5]),  # more workers: round the CPUs, in order
        ("auto", 3, [0, 1], [0, 1, 0]),
        ("auto", 1, [0, 1], None),  # fewer workers than CPUs: the scheduler spreads them
        ("auto", 2, [0, 1, 2, 3], None),
        ("auto", 2, [3], None),  # one CPU: nothing to choose
        ("off", 2, [0, 1], None),
        ("off", 8, [0, 1], None),
    ],
)
def test_worker_cpus(mode: str, workers: int, cpus: list[int], expected: list[int] | None) -> None:
    assert worker_cpus(mode, workers, cpus) == expected  # type: ignore[arg-type]


def test_the_setting_is_auto_by_default_and_takes_off_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().worker_cpu_affinity == "auto"
    monkeypatch.setenv("STUFENLOS_WORKER_CPU_AFFINITY", "off")
    assert Settings().worker_cpu_affinity == "off"
    monkeypatch.setenv("STUFENLOS_WORKER_CPU_AFFINITY", "0,1")
    with pytest.raises(ValidationError):
        Settings()


def _allowed(task: Path) -> str:
    """``Cpus_allowed_list`` of a process or thread (``/proc/<pid>/task/<tid>``)."""
    for line in (task / "status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no Cpus_allowed_list in {task}/status")


def test_a_pinned_process_and_the_threads_it_starts_run_on_one_cpu() -> None:
    """In a forked child (as a worker is), so the test's own process stays unpinned."""
    cpu = available_cpus()[-1]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe and exits
        try:
            ok = pin_to_cpu(cpu)
            seen: list[str] = []
            thread = threading.Thread(
                target=lambda: seen.append(
                    _allowed(Path(f"/proc/self/task/{threading.get_native_id()}"))
                )
            )
            thread.start()
            thread.join()
            os.write(write, f"{ok} {_allowed(Path('/proc/self'))} {seen[0]}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    assert answer == f"True {cpu} {cpu}"
    assert available_cpus() == sorted(os.sched_getaffinity(0))  # this process: unchanged
