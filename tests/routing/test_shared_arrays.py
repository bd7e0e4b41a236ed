"""Arrays in a shared file mapping (routing/shared_arrays.py) and the router's move into one.

What the serving parent relies on: the copies hold the same values in the same types (numba
sees the same array types, so nothing compiles again), a forked child maps none of their pages
until it reads them, a child's write stays its own, and a router whose arrays moved answers
every route exactly as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import mmap
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accessibility_rules.kernel_loading import KERNEL_MODULES
from graphs.arrays import array_fields
from routing.engine import Router
from routing.errors import NoRouteError
from routing.metric import OWN_LANDMARKS_AFTER_HITS
from routing.shared_arrays import ALIGN_BYTES, is_shared, memory_owner, share
from tests.routing.trips import seeded_points

#: The routing kernels as numba's JIT has them (none with the ahead-of-time build).
KERNELS = tuple(
    f
    for module in KERNEL_MODULES
    if module.startswith("routing.")
    for f in vars(importlib.import_module(module)).values()
    if hasattr(f, "signatures") and hasattr(f, "py_func")
)
DTYPES = (np.float64, np.float32, np.int64, np.int32, np.int8, np.uint32, np.bool_)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(DTYPES).flatmap(
            lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0))
        ),
        max_size=5,
    )
)
def test_copies_keep_dtype_shape_and_every_bit(arrays: list[np.ndarray]) -> None:
    copies = share(arrays)
    assert len(copies) == len(arrays)
    for a, c in zip(arrays, copies, strict=True):
        assert c.dtype == a.dtype
        assert c.shape == a.shape
        assert c.tobytes() == np.ascontiguousarray(a).tobytes()  # NaN, -0.0 bit for bit
        assert c.flags.c_contiguous
        assert c.flags.writeable
        assert c.flags.aligned
        if a.size:
            assert is_shared(c)
            assert c.ctypes.data % ALIGN_BYTES == 0


def test_non_contiguous_input_is_copied_in_c_order() -> None:
    a = np.arange(24, dtype=np.float64).reshape(4, 6)[:, ::2]
    (c,) = share([a])
    assert c.flags.c_contiguous
    assert np.array_equal(c, a)
    assert not is_shared(a)
    assert not is_shared(np.zeros(3))


def test_the_memory_owner_of_a_view_is_what_holds_the_memory() -> None:
    owned = np.arange(10, dtype=np.float64)
    assert memory_owner(owned) is owned
    assert memory_owner(owned[2:5][::2]) is owned  # a view of a view: the array owning it
    first, second = share([owned, owned * 2])
    assert isinstance(memory_owner(first), mmap.mmap)
    assert memory_owner(first) is memory_owner(second)  # one mapping holds both


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from((np.float64, np.uint32, np.bool_)).flatmap(
            lambda dt: hnp.arrays(
                dt, st.integers(0, 4), elements={"allow_nan": True} if dt is np.float64 else None
            )
        ),
        max_size=4,
    ),
    st.lists(st.integers(0, 3), max_size=6),
)
def test_equal_arrays_are_stored_once_and_keep_their_values(
    arrays: list[np.ndarray], repeats: list[int]
) -> None:
    """Repeated inputs (the same object or an equal copy) alias one copy; unequal ones never."""
    inputs = arrays + [arrays[i].copy() for i in repeats if i < len(arrays)]
    copies = share(inputs)
    for a, c in zip(inputs, copies, strict=True):
        assert c.dtype == a.dtype
        assert c.shape == a.shape
        assert c.tobytes() == a.tobytes()
    for i, (a, c) in enumerate(zip(inputs, copies, strict=True)):
        for b, d in zip(inputs[:i], copies[:i], strict=True):
            equal = a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
            assert np.shares_memory(c, d) == (equal and a.size > 0)


def test_equal_arrays_take_the_file_space_of_one() -> None:
    a = np.arange(4096, dtype=np.float64)
    one = share([a])
    three = share([a, a.copy(), a.view(np.int64)])  # the view: other dtype, so stored apart
    assert np.shares_memory(three[0], three[1])
    assert not np.shares_memory(three[0], three[2])
    assert three[2].view(np.float64).tolist() == a.tolist()
    assert len(_base(three[0])) == 2 * len(_base(one[0]))


def _base(array: np.ndarray) -> mmap.mmap:
    """The mapping under a view made by :func:`share`."""
    owner = memory_owner(array)
    assert isinstance(owner, mmap.mmap)
    return owner


def _mapping_rss_kb(pid: int) -> int:
    """Resident kB of the shared arrays' mapping in process ``pid``."""
    total, inside = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            inside = "stufenlos-shared-arrays" in line
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def _in_child(body: object) -> int:
    """Run ``body()`` (returning an exit status) in a forked child; its status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - reported through the status
        code = 1
        try:
            code = body()  # type: ignore[operator]
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_forked_child_maps_only_what_it_reads_and_writes_privately() -> None:
    (big,) = share([np.arange(2**19, dtype=np.float64)])  # 4 MB
    assert float(big.sum()) == float(2**19 * (2**19 - 1) / 2)  # the parent reads all of it
    assert _mapping_rss_kb(os.getpid()) >= 4000

    def child() -> int:
        before = _mapping_rss_kb(os.getpid())
        head = float(big[:512].sum())  # one page
        after_one_page = _mapping_rss_kb(os.getpid())
        big[0] = -1.0  # a private copy of that page
        ok = before == 0 and 0 < after_one_page <= 64 and head == float(511 * 512 / 2)
        return 0 if ok else 1

    assert _in_child(child) == 0
    assert big[0] == 0.0  # the child's write stayed in the child


@pytest.fixture
def twin_routers(uni_router: Router) -> tuple[Router, Router]:
    """Two routers on copies of the university graph with the same metrics cached (walk,
    wheelchair with landmarks of its own, blind; kept, as the server keeps its presets'); the
    second's arrays moved."""
    routers = []
    for _ in range(2):
        g = uni_router.graph
        r = Router(dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)))
        for name in ("walk", "wheelchair", "blind"):
            r.customize(r.profile(name), keep=True)
        routers.append(r)
    plain, moved = routers
    for r in routers:  # landmarks of its own for wheelchair, as a much-asked profile earns them
        for _ in range(OWN_LANDMARKS_AFTER_HITS + 1):
            metric = r.customize(r.profile("wheelchair"))
        assert not metric.shared_landmarks
    assert moved.share_memory() > 0
    assert moved.share_memory() == 0  # nothing left to move
    return plain, moved


def test_a_router_answers_the_same_after_its_arrays_moved(
    twin_routers: tuple[Router, Router],
) -> None:
    plain, moved = twin_routers
    assert is_shared(moved.customizer._report.rows)
    assert is_shared(moved.index.seg_x0)
    for key, metric in moved.customizer.metric_cache.items():
        assert is_shared(metric.weights.cost_s)
        assert is_shared(metric.landmarks.dist)
        assert moved.customizer.original_metric(*key) is metric  # type: ignore[misc]
    assert [k for k, _ in moved.customizer.metric_cache.items()] == [
        k for k, _ in plain.customizer.metric_cache.items()
    ]
    assert moved.customizer.metric_cache.nbytes == plain.customizer.metric_cache.nbytes
    points = seeded_points(plain, 23, 60)
    for name in ("walk", "wheelchair", "blind"):  # the kernels' types of ordinary arrays
        with contextlib.suppress(NoRouteError):
            plain.route(points[0], points[1], name)
    signatures = {k: len(k.signatures) for k in KERNELS}
    compared = 0
    for i in range(30):
        a, b = points[2 * i], points[2 * i + 1]
        for name in ("walk", "wheelchair", "blind"):
            try:
                expected = plain.route(a, b, name)
            except NoRouteError:
                with pytest.raises(NoRouteError):
                    moved.route(a, b, name)
                continue
            got = moved.route(a, b, name)
            assert repr(got) == repr(expected)
            compared += 1
    assert compared >= 60
    # the same array types: no kernel was compiled for the moved arrays (with the kernels'
    # ahead-of-time build there are no JIT signatures; its checked mode, the suite's, refuses
    # an array of another type than the build's)
    assert {k: len(k.signatures) for k in KERNELS} == signatures


def test_writes_after_the_move_make_private_arrays(twin_routers: tuple[Router, Router]) -> None:
    _, moved = twin_routers
    before = moved.customize(moved.profile("wheelchair"))
    edge = dict(moved.graph.edge)
    kerb = np.array(edge["kerb_height_cm"], dtype=np.float32)
    kerb[:50] = 12.0
    edge["kerb_height_cm"] = kerb
    edge["closed"] = np.arange(moved.graph.edge_count) < 50
    moved.customizer.replace_attributes(edge, moved.graph.node)
    assert not is_shared(moved.customizer.report_table().rows)
    metric = moved.customize(moved.profile("wheelchair"))
    assert metric.revision == moved.customizer.revision
    assert not is_shared(metric.weights.cost_s)  # the closed edges' costs changed
    # an array the write changed is a private copy; one whose values it left is kept, shared
    for name, array in array_fields(metric.weights).items():
        old = getattr(before.weights, name)
        assert (array is old and is_shared(array)) or not is_shared(array), name
