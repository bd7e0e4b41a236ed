"""The kernels' ahead-of-time build (:mod:`accessibility_rules.kernel_loading`, :mod:`routing.kernel_build`):
what it is built for, that calls it cannot take are caught, that it answers as numba's JIT does
and releases the GIL as the JIT's kernels do."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from accessibility_rules.kernel_loading import (
    KERNEL_MODULES,
    PY_FUNCS,
    _jit_twin,
    build_key,
    checked_build,
    export_name,
)
from accessibility_rules.kernel_signatures import (
    GUARDED,
    HELPERS,
    SIGNATURES,
    arguments_fit,
    numba_signature,
)
from routing._kernels import search as search_kernels
from routing.kernel_build import _host_features, ensure_built, main, prune_builds


def test_every_kernel_python_calls_has_a_signature() -> None:
    """Each public kernel of the kernels' modules is built (or is a helper only kernels call),
    and every signature names a kernel."""
    for module in KERNEL_MODULES:  # their kernels register when imported (alone, this test
        importlib.import_module(module)  # would not see the sun's, which no import here brings)
    public = {
        f"{module}.{name}"
        for module in KERNEL_MODULES
        for name in PY_FUNCS[module]
        if not name.startswith("_")
    }
    assert public - HELPERS == set(SIGNATURES)
    names = [export_name(key) for key in SIGNATURES]
    assert len(set(names)) == len(names)
    assert set(SIGNATURES) >= GUARDED


def test_the_build_key_is_a_stable_digest() -> None:
    assert build_key() == build_key()
    assert len(build_key()) == 20


def test_the_signatures_become_numbas_types() -> None:
    """The codes become numba's types as the build needs them: C-contiguous arrays, any layout
    where declared, no result as ``none``, a tuple of equal items as numba's ``UniTuple``."""
    assert str(numba_signature("routing._kernels.verdict.mark_runs")) == (
        "(Array(bool, 1, 'C', False, aligned=True), Array(bool, 1, 'C', False, aligned=True), "
        "Array(int64, 1, 'C', False, aligned=True)) -> int64"
    )
    turn = numba_signature("routing._kernels.steps.turn_kinds")
    assert turn.args[0].layout == "A"
    assert str(turn.return_type) == "none"
    assert (
        str(numba_signature("routing._kernels.rests.rest_extract").return_type)
        == "UniTuple(int64 x 2)"
    )


def test_arguments_that_fit_the_build_are_accepted() -> None:
    mask, out, starts = np.zeros(4, bool), np.zeros(4, bool), np.zeros(4, np.int64)
    assert arguments_fit("routing._kernels.verdict.mark_runs", (mask, out, starts))
    polyline = np.zeros((5, 2))
    # strided columns where the build takes any layout; an int or a numpy float for a float
    columns = (polyline[:, 0], polyline[:, 1], np.zeros(2, np.int64), np.zeros(2), np.zeros(2))
    scratch = (np.zeros(2), np.zeros(2, np.int8))
    for straight in (20, np.float64(20.0)):
        assert arguments_fit("routing._kernels.steps.turn_kinds", (*columns, straight, *scratch))
    assert not arguments_fit("routing._kernels.steps.turn_kinds", (*columns, 1.5j, *scratch))


@pytest.mark.parametrize(
    "args",
    [
        (np.zeros(4, np.int8), np.zeros(4, bool), np.zeros(4, np.int64)),  # int8 where bool
        (np.zeros(4, bool), np.zeros(4, bool), np.zeros(4, np.float64)),  # same size, float
        (np.zeros(8, bool)[::2], np.zeros(4, bool), np.zeros(4, np.int64)),  # strided
        (np.zeros((2, 2), bool), np.zeros(4, bool), np.zeros(4, np.int64)),  # 2-D
        (np.zeros(4, bool), np.zeros(4, bool)),  # an argument missing
        ([False] * 4, np.zeros(4, bool), np.zeros(4, np.int64)),  # a list
    ],
)
def test_a_call_the_build_would_misread_does_not_fit(args: tuple) -> None:
    """The build's own conversion checks only an array's item size; these do not fit."""
    assert not arguments_fit("routing._kernels.verdict.mark_runs", args)


def test_the_library_calling_with_other_types_is_an_error() -> None:
    """In the checked mode a call that does not fit, from outside the tests, raises."""
    mark_runs = checked_build("routing._kernels.verdict.mark_runs", ensure_built())
    scope = {"kernel": mark_runs, "np": np}
    source = "kernel(np.zeros(4, np.int8), np.zeros(4, bool), np.zeros(4, np.int64))\n"
    with pytest.raises(TypeError, match="mark_runs is built for"):
        exec(compile(source, "/srv/engine/caller.py", "exec"), scope)


def test_a_test_call_with_other_types_is_answered_by_the_jit() -> None:
    """In the checked mode a test's call that does not fit, and a call of a helper the build
    does not export, are answered by numba's JIT."""
    path = ensure_built()
    mark_runs = checked_build("routing._kernels.verdict.mark_runs", path)
    mask = np.array([0, 1, 1, 0, 1], dtype=bool)
    expected_out, expected_starts = np.zeros(5, bool), np.zeros(5, np.int64)
    runs = mark_runs(mask, expected_out, expected_starts)
    out, starts = np.zeros(5, np.int8), np.zeros(5, np.int64)
    assert mark_runs(mask.astype(np.int8), out, starts) == runs == 2
    assert out.astype(bool).tolist() == expected_out.tolist()
    assert starts.tolist() == expected_starts.tolist()
    round_fast = checked_build("routing._kernels.rounding.round_fast", path)
    assert round_fast(2.5, 1.0) == (2.0, True)


def test_the_jits_stand_in_calls_the_jits_kernels_of_the_modules_it_imports() -> None:
    """A call the build does not take is answered by the JIT's twin of the kernel's module; a
    kernel there that calls one imported from another kernels' module (the turns of the steps
    call the polyline's ``turn_deltas``) calls that module's twin's, not the build's."""
    for module in KERNEL_MODULES:
        importlib.import_module(module)
    path = ensure_built()
    turn_kinds = checked_build("routing._kernels.steps.turn_kinds", path)
    lon, lat = np.array([7.760, 7.761, 7.761]), np.array([49.440, 49.440, 49.441])
    metres, at = np.full(1, 50.0), np.array([1], dtype=np.int64)
    deltas, kinds = np.zeros(1), np.zeros(1, dtype=np.int8)
    turn_kinds(lon, lat, at, metres, metres, 30.0, deltas, kinds)  # the build's
    jit_deltas, jit_kinds = np.zeros(1), np.zeros(1, dtype=np.int8)
    turn_kinds(lon, lat, at.astype(np.int32), metres, metres, 30.0, jit_deltas, jit_kinds)
    assert jit_deltas.tolist() == deltas.tolist()
    assert abs(deltas[0]) > 80.0  # a right angle
    assert jit_kinds.tolist() == kinds.tolist()
    twin = _jit_twin("routing._kernels.steps")
    assert twin["turn_deltas"] is _jit_twin("routing._kernels.polyline")["turn_deltas"]
    assert _jit_twin("routing._kernels.rests")["heap_push"] is _jit_twin("routing._kernels.search")["heap_push"]  # fmt: skip


def _grid(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``side`` × ``side`` grid, both directions of every edge, 1 s each (CSR)."""
    n = side * side
    r, c = np.divmod(np.arange(n), side)
    tails, heads = [], []
    for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        ok = (r + dr >= 0) & (r + dr < side) & (c + dc >= 0) & (c + dc < side)
        tails.append(np.flatnonzero(ok))
        heads.append(np.flatnonzero(ok) + dr * side + dc)
    tail, head = np.concatenate(tails), np.concatenate(heads)
    order = np.argsort(tail, kind="stable")
    first_out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=first_out[1:])
    return first_out, head[order].astype(np.int32), np.ones(len(head))


def test_a_long_search_releases_the_gil() -> None:
    """While one thread runs a long search, another runs Python: the kernels release the GIL
    (``nogil`` in the JIT, ``release_gil`` in the build), which is what lets the server's event
    loop answer while its CPU thread searches. The other thread's longest pause is compared with
    the search's own duration in the same run."""
    first_out, head, cost = _grid(1000)
    n = len(first_out) - 1
    ws = search_kernels.workspace(n, len(head) + 8)
    sources = (np.zeros(1, dtype=np.int64), np.zeros(1))
    targets = (np.zeros(0, dtype=np.int64), np.zeros(0))
    bound = search_kernels.no_bound()

    def run(gen: int) -> None:
        search_kernels.search((first_out, head, cost), ws, gen, sources, targets, bound, 0,
                        search_kernels.NO_BUDGET)  # fmt: skip

    def longest_pause(gen: int) -> float:
        worker = threading.Thread(target=run, args=(gen,))
        worker.start()
        longest, last = 0.0, time.perf_counter()
        while worker.is_alive():
            sum(range(200))
            now = time.perf_counter()
            longest, last = max(longest, now - last), now
        worker.join()
        return longest

    run(1)
    started = time.perf_counter()
    run(2)
    alone_s = time.perf_counter() - started
    # a kernel holding the GIL pauses the other thread for the whole search every time; one
    # that releases it can still be descheduled for a while when other tests load both cores
    # (seen once under `pytest -n 2`: a pause of over a third of the search), so three tries
    pauses = []
    for gen in (3, 4, 5):
        pauses.append(longest_pause(gen))
        if pauses[-1] < alone_s / 3:
            break
    assert ws[0][n - 1] == pytest.approx(2 * (1000 - 1))  # the search did its work
    assert alone_s > 0.02  # long enough to see a pause (0.16 s here)
    assert min(pauses) < alone_s / 3, (pauses, alone_s)


_ANSWERS = """
import json, sys
import numpy as np
import orjson
from accessibility_rules.profile import preset_names
from api.errors import ApiError
from api.route_answers import plan
from api.schemas import RouteRequest
from api.preload import preload_app
from api.settings import Settings
from routing.errors import RoutingError
from accessibility_rules.kernel_loading import compiled_in_use
from routing.matrix import cost_matrix

app = preload_app(Settings(graph_dir=sys.argv[1], database_url=f"sqlite:///{sys.argv[2]}"))
router = app.state.router
lat, lon = router.graph.node["lat"], router.graph.node["lon"]
rng = np.random.default_rng(3)
out = [compiled_in_use()]
for i in range(60):
    a, b, c = (int(x) for x in rng.integers(0, len(lat), size=3))
    point = lambda n: {"lat": float(lat[n]) + 2e-5, "lon": float(lon[n]) - 1e-5}
    body = {"origin": point(a), "destination": point(b),
            "profile": {"name": preset_names()[i % len(preset_names())]},
            "departure_time": ("2026-06-21T15:00:00", "2026-12-21T21:00:00")[i % 2]}
    if i % 5 == 1:
        body["alternatives"] = 1
    if i % 5 == 2:
        body["via"] = [point(c)]
    if i % 5 == 3:
        body["profile"]["parameters"] = {"max_distance_between_rests_m": 300}
    try:
        answer = plan(router, RouteRequest.model_validate(body), 3, 3)  # as the API writes it:
        out.append(orjson.loads(orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY)))
    except (ApiError, RoutingError) as error:
        out.append(type(error).__name__)
points = [(float(lat[n]), float(lon[n])) for n in rng.integers(0, len(lat), size=5)]
for profile in ("wheelchair", router.profile("walk", {"max_distance_between_rests_m": 400.0})):
    m = cost_matrix(router, points, points, profile)
    out.append(repr(m))
imported = sorted(m for m in ("numba", "llvmlite") if m in sys.modules)
print(json.dumps([imported, *out], default=repr))
"""


@pytest.mark.slow
def test_the_build_answers_as_the_jit_without_numba(centre_graph_dir: Path, tmp_path: Path) -> None:
    """Routes of every preset (alternatives, via points, rests, by day and at night) and two
    matrices, answered by the app as ``stufenlos serve`` preloads it, with the build and with
    numba's JIT, each in a fresh process: the same JSON, byte for byte; and with the build the
    process imports neither numba nor LLVM (its forked workers do not carry them)."""
    ensure_built()  # (the suite made it unless it runs with STUFENLOS_KERNELS=jit)
    answers = {}
    for kernels in ("jit", "compiled"):
        done = subprocess.run(
            [sys.executable, "-c", _ANSWERS, str(centre_graph_dir), str(tmp_path / f"{kernels}.db")],
            capture_output=True, text=True, timeout=600, check=True,
            env=os.environ | {"STUFENLOS_KERNELS": kernels},
        )  # fmt: skip
        answers[kernels] = json.loads(done.stdout.strip().splitlines()[-1])
    assert answers["jit"][:2] == [["llvmlite", "numba"], False]
    assert answers["compiled"][:2] == [[], True]
    assert sum(isinstance(a, dict) for a in answers["jit"]) >= 40
    assert answers["compiled"][2:] == answers["jit"][2:]


def test_if_missing_uses_the_build_there_is(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m routing.kernel_build --if-missing`` (``make kernels``) builds nothing when the
    cache holds the build of these sources, and names it (``ensure_built`` makes it first in a
    child process in any mode, as the other build tests here do)."""
    path = ensure_built()
    stamp = path.stat().st_mtime_ns
    assert main(["--if-missing"]) == 0
    assert str(path) in capsys.readouterr().out
    assert path.stat().st_mtime_ns == stamp


def test_the_build_targets_the_host_cpus_features_not_its_models() -> None:
    """The build compiles for the host's CPU model *with the features the CPU reports*: pycc
    alone passes the model name only, and LLVM then enables all of that model's features — on a
    virtual machine that reports a Zen 4 and hides AVX-512, the build stopped the server with
    SIGILL. Inside :func:`_host_features` an AOT codegen for ``"host"`` carries the features
    numba's JIT uses; one for a named CPU and one made after are as pycc makes them."""
    from numba.core.codegen import AOTCPUCodegen, get_host_cpu_features

    with _host_features():
        host = AOTCPUCodegen("host_features_test", cpu_name="host")
        named = AOTCPUCodegen("named_cpu_test", cpu_name="x86-64")
    after = AOTCPUCodegen("after_test", cpu_name="host")
    features = get_host_cpu_features()
    assert host._tm_features == features
    assert named._tm_features == ""
    assert after._tm_features == ""
    options: dict[str, object] = {}
    host._customize_tm_options(options)
    assert options["features"] == features


def test_pruning_keeps_the_newest_builds_and_the_current_one(tmp_path: Path) -> None:
    """``prune_builds`` (after every new build): the ``keep`` most recent build folders stay,
    the current one always (here the oldest), and folders not named like a build key too."""
    kernels = tmp_path / "kernels"
    keys = [f"{n:020x}" for n in range(6)]
    for age, key in enumerate(keys):  # keys[0] the newest
        (kernels / key).mkdir(parents=True)
        (kernels / key / "stufenlos_kernels.so").write_bytes(b"")
        os.utime(kernels / key, (1_000_000 - age, 1_000_000 - age))
    (kernels / "notes").mkdir()
    current = kernels / keys[-1] / "stufenlos_kernels.so"
    deleted = prune_builds(current, keep=3)
    assert sorted(p.name for p in deleted) == keys[2:5]
    assert sorted(p.name for p in kernels.iterdir()) == sorted([*keys[:2], keys[-1], "notes"])
    assert prune_builds(current, keep=3) == []


# ------------------------------------------------------------------- a build that does not load


def test_a_build_that_does_not_load_is_said_so_in_a_child(tmp_path: Path) -> None:
    """:func:`routing.kernel_build.loads_in_a_child`: the build loads; an empty file (a power
    cut after the rename, before the data) and a cut copy (which the dynamic loader maps and
    dies on, SIGBUS) do not, and this process lives on."""
    from routing.kernel_build import loads_in_a_child

    built = ensure_built()
    assert loads_in_a_child(built) is None
    empty = tmp_path / "empty" / built.name
    empty.parent.mkdir()
    empty.touch()
    said = loads_in_a_child(empty)
    assert said is not None
    assert "file too short" in said
    cut = tmp_path / "cut" / built.name
    cut.parent.mkdir()
    cut.write_bytes(built.read_bytes()[:4096])
    assert loads_in_a_child(cut) is not None


def test_a_build_that_does_not_load_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ensure_built`` (``stufenlos serve``, the tests) found the file there and took it: a
    build left empty by a power cut ended every start in the loader's traceback. Now it is
    tried first, in a child, and made again when it does not load (the build itself stood in
    for here by a copy of the real one)."""
    import routing.kernel_build as kernel_build

    real = ensure_built()
    target = tmp_path / "kernels" / "0123456789abcdef0123" / real.name
    target.parent.mkdir(parents=True)
    target.touch()
    monkeypatch.setattr(kernel_build, "built_file", lambda: target)
    run = subprocess.run
    builds: list[list[str]] = []

    def fake_build(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if command[1:3] == ["-m", "routing.kernel_build"]:
            builds.append(command)
            Path(command[3]).write_bytes(real.read_bytes())
            return subprocess.CompletedProcess(command, 0, "", "")
        return run(command, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(kernel_build.subprocess, "run", fake_build)
    said: list[str] = []
    assert kernel_build.ensure_built(log=said.append) == target
    assert len(builds) == 1
    assert "does not load" in said[0]
    assert "made again" in said[0]
    assert kernel_build.loads_in_a_child(target) is None
    said.clear()
    assert kernel_build.ensure_built(log=said.append) == target  # now it loads: taken
    assert (said, len(builds)) == ([], 1)


def test_loading_a_build_that_does_not_load_falls_back_or_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``auto``: the JIT, with a warning (was the loader's traceback); ``compiled``: one sentence
    naming the file and what to do (the command line's ``stufenlos route: …``)."""
    from accessibility_rules.kernel_loading import KernelBuildError, _load_or_say

    empty = tmp_path / "stufenlos_kernels.so"
    empty.touch()
    assert _load_or_say(empty, "auto") is None
    warned = capsys.readouterr().err
    assert "does not load (file too short)" in warned
    assert "numba's JIT runs the kernels instead" in warned
    with pytest.raises(KernelBuildError, match=r"does not load \(file too short\): delete it"):
        _load_or_say(empty, "compiled")
