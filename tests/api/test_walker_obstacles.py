"""``api.obstacles.walkers``: the arrays of obstacles that stop walkers, against a per-obstacle
reference (the loop ``LiveObstacles`` ran per route before: one ellipse test and one membership
test per obstacle)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from api.obstacles.walkers import WalkerObstacles
from routing._kernels.near_walk import any_circle_within
from routing.marks import edge_marks

EDGE_COUNT = 40


@dataclass(frozen=True)
class Placed:
    """An obstacle as ``ActiveObstacle`` gives it: ends, edges and the circle around the ends."""

    id: str
    edges: np.ndarray
    x: np.ndarray
    y: np.ndarray
    circle: tuple[float, float, float]


def placed(oid: str, ends: list[tuple[float, float]], edges: list[int]) -> Placed:
    x = np.asarray([e[0] for e in ends], dtype=np.float64)
    y = np.asarray([e[1] for e in ends], dtype=np.float64)
    circle = (0.0, 0.0, -1.0)
    if x.size:
        cx, cy = float(x.mean()), float(y.mean())
        circle = (cx, cy, float(np.hypot(x - cx, y - cy).max()))
    return Placed(oid, np.asarray(edges, dtype=np.int64), x, y, circle)


def reference(
    obstacles: list[Placed],
    xy: list[tuple[float, float]],
    bound: float,
    skip: set[str],
    walked: np.ndarray,
) -> list[str]:
    """Per obstacle, in order: near the legs (an end inside an ellipse) and on ``walked``."""
    out = []
    for o in obstacles:
        if o.id in skip or o.circle[2] < 0.0:
            continue
        near = any(
            np.hypot(x - ax, y - ay) + np.hypot(x - bx, y - by) <= bound
            for (ax, ay), (bx, by) in itertools.pairwise(xy)
            for x, y in zip(o.x.tolist(), o.y.tolist(), strict=True)
        )
        if near and np.isin(o.edges, walked).any():
            out.append(o.id)
    return out


coordinate = st.floats(-500.0, 500.0, allow_nan=False)
obstacle = st.tuples(
    st.lists(st.tuples(coordinate, coordinate), max_size=4),
    st.lists(st.integers(0, EDGE_COUNT - 1), max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(
    found=st.lists(obstacle, max_size=12),
    xy=st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=4),
    bound=st.floats(0.0, 1500.0),
    skip_every=st.integers(0, 4),
    walked=st.lists(st.integers(0, EDGE_COUNT - 1), max_size=30),
)
def test_on_walk_and_any_near_agree_with_the_per_obstacle_tests(
    found: list[tuple[list[tuple[float, float]], list[int]]],
    xy: list[tuple[float, float]],
    bound: float,
    skip_every: int,
    walked: list[int],
) -> None:
    obstacles = [placed(f"o{i}", ends, edges) for i, (ends, edges) in enumerate(found)]
    skip = {o.id for i, o in enumerate(obstacles) if skip_every and i % skip_every == 0}
    walked_edges = np.asarray(walked, dtype=np.int64)
    arrays = WalkerObstacles.of(obstacles)
    expected = reference(obstacles, xy, bound, skip, walked_edges)
    assert arrays.on_walk(xy, bound, walked_edges, EDGE_COUNT, skip=skip) == expected
    everywhere = np.arange(EDGE_COUNT)  # a walk over every edge: the near ones
    near = reference(obstacles, xy, bound, skip, everywhere)
    assert arrays.on_walk(xy, bound, everywhere, EDGE_COUNT, skip=skip) == near
    assert not edge_marks(EDGE_COUNT).any()  # the thread's marks left clear for the next call
    # the circles' quick yes may round an end on the very boundary in (a search, no answer)
    assert arrays.any_near(xy, bound, skip=skip) or not near
    if not any(o.circle[2] >= 0.0 for o in obstacles if o.id not in skip):
        assert not arrays.any_near(xy, bound, skip=skip)


@settings(max_examples=200, deadline=None)
@given(
    found=st.lists(obstacle, max_size=12),
    changed=st.lists(st.booleans(), min_size=EDGE_COUNT, max_size=EDGE_COUNT),
)
def test_touching_and_subset_agree_with_the_obstacles_one_by_one(
    found: list[tuple[list[tuple[float, float]], list[int]]], changed: list[bool]
) -> None:
    """The obstacles on a changed edge (what stops walkers too), picked out of the arrays,
    equal the arrays made of those obstacles alone (the reload did that, one by one)."""
    obstacles = [placed(f"o{i}", ends, edges) for i, (ends, edges) in enumerate(found)]
    mask = np.asarray(changed, dtype=bool)
    arrays = WalkerObstacles.of(obstacles)
    touching = arrays.touching(mask)
    assert touching.tolist() == [bool(mask[o.edges].any()) for o in obstacles]
    picked = arrays.subset(touching)
    alone = WalkerObstacles.of([o for o, t in zip(obstacles, touching, strict=True) if t])
    assert picked.ids == alone.ids
    assert picked.index == alone.index
    names = ("cx", "cy", "radius", "end_x", "end_y", "end_owner", "edges", "edge_owner")
    for name in (*names, "end_offsets", "edge_offsets"):
        assert np.array_equal(getattr(picked, name), getattr(alone, name)), name


def test_no_obstacles_are_near_nothing() -> None:
    arrays = WalkerObstacles.of([])
    assert not arrays.any_near([(0.0, 0.0), (10.0, 0.0)], 100.0)
    assert arrays.on_walk([(0.0, 0.0), (10.0, 0.0)], 100.0, np.asarray([1, 2]), EDGE_COUNT) == []


def test_an_obstacle_just_inside_and_just_outside_the_ellipse() -> None:
    """Foci 0 and 100 m apart; an end at (50, 30) is 2 × √(50² + 30²) ≈ 116.6 m from both."""
    inside = placed("in", [(50.0, 30.0)], [3])
    outside = placed("out", [(50.0, 40.0)], [3])  # 2 × √(50² + 40²) ≈ 128.1 m
    arrays = WalkerObstacles.of([inside, outside])
    foci = [(0.0, 0.0), (100.0, 0.0)]
    assert arrays.on_walk(foci, 120.0, np.asarray([3]), EDGE_COUNT) == ["in"]
    assert arrays.on_walk(foci, 120.0, np.asarray([3]), EDGE_COUNT, skip={"in"}) == []
    assert arrays.any_near(foci, 120.0)
    assert not arrays.any_near(foci, 120.0, skip={"in"})
    assert arrays.on_walk(foci, 120.0, np.asarray([4]), EDGE_COUNT) == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-5e4, 5e4, allow_nan=False, allow_subnormal=False),
            st.floats(-5e4, 5e4, allow_nan=False, allow_subnormal=False),
        ),
        min_size=0,
        max_size=12,
    )
)
def test_an_active_obstacles_circle_is_numpys_to_the_bit(ends: list[tuple[float, float]]) -> None:
    """``ActiveObstacle.of`` computes the centre of up to seven ends with Python's sum (10,000
    obstacles reloaded: 0.13 s of numpy's calls): the same floats as numpy's mean, which it
    still uses for more, and the same radius, so the routes' ellipse tests do not change."""
    from api.obstacles.live import ActiveObstacle

    want = placed("o", ends, [])
    made = ActiveObstacle.of("o", 1, "r", {}, np.zeros(0, dtype=np.int64), want.x, want.y)
    assert made.circle == want.circle
    assert all(type(v) is float for v in made.circle)


@settings(max_examples=300, deadline=None)
@given(
    circles=st.lists(
        st.tuples(coordinate, coordinate, st.floats(-1.0, 300.0), st.booleans()), max_size=20
    ),
    a=st.tuples(coordinate, coordinate),
    b=st.tuples(coordinate, coordinate),
    bound=st.floats(0.0, 1500.0),
)
def test_the_circle_kernel_is_numpys_test_stopped_at_the_first_circle(
    circles: list[tuple[float, float, float, bool]],
    a: tuple[float, float],
    b: tuple[float, float],
    bound: float,
) -> None:
    """``any_circle_within`` (the quick yes of ``any_near``) against the numpy expression it
    replaced: a candidate circle whose centre's summed distance plus its diameter is within."""
    cx, cy, radius = (np.asarray([c[k] for c in circles], dtype=np.float64) for k in range(3))
    candidate = np.asarray([c[3] for c in circles], dtype=bool)
    rough = np.hypot(cx - a[0], cy - a[1]) + np.hypot(cx - b[0], cy - b[1])
    expected = bool((candidate & (rough + 2.0 * radius <= bound)).any())
    assert any_circle_within(cx, cy, radius, candidate, *a, *b, bound) is expected


@settings(max_examples=300, deadline=None)
@given(
    before=st.lists(obstacle, max_size=12),
    data=st.data(),
)
def test_updated_arrays_equal_the_arrays_made_anew(
    before: list[tuple[list[tuple[float, float]], list[int]]], data: st.DataObject
) -> None:
    """A reload's arrays gathered from the last ones (``updated``) equal those ``of`` makes of
    the new list: unchanged obstacles in any order, some gone, new and replaced ones between."""
    old = [placed(f"o{i}", ends, edges) for i, (ends, edges) in enumerate(before)]
    arrays = WalkerObstacles.of(old)
    kept = data.draw(
        st.lists(st.sampled_from(old), unique_by=lambda o: o.id) if old else st.just([])
    )
    added = data.draw(st.lists(obstacle, max_size=6))
    # new ids, or an old id again with other ends and edges (a new version)
    new_ids = data.draw(
        st.lists(st.sampled_from([o.id for o in old] + ["n0", "n1", "n2", "n3", "n4", "n5"]),
                 min_size=len(added), max_size=len(added), unique=True)
        if added else st.just([])
    )  # fmt: skip
    fresh = [placed(oid, ends, edges) for oid, (ends, edges) in zip(new_ids, added, strict=True)]
    fresh = [o for o in fresh if o.id not in {k.id for k in kept}]
    order = data.draw(st.permutations(kept + fresh))
    unchanged = [any(o is k for k in kept) for o in order]
    got = arrays.updated(order, unchanged)
    made = WalkerObstacles.of(order)
    assert got.ids == made.ids
    assert got.index == made.index
    names = ("cx", "cy", "radius", "end_x", "end_y", "end_owner", "edges", "edge_owner")
    for name in (*names, "end_offsets", "edge_offsets"):
        mine, theirs = getattr(got, name), getattr(made, name)
        assert mine.dtype == theirs.dtype, name
        assert mine.flags.c_contiguous, name
        assert np.array_equal(mine, theirs), name


def test_the_edges_in_question_are_those_on_walk_tests() -> None:
    """The edges of the obstacles with ends and not skipped, in order; None past ``most`` (or
    when the obstacles not skipped are more, before the ends are looked at)."""
    arrays = WalkerObstacles.of(
        [
            placed("a", [(0.0, 0.0)], [3, 4]),
            placed("b", [], [5]),  # no ends: near no route
            placed("c", [(1.0, 1.0)], [6]),
            placed("d", [(2.0, 2.0)], [7, 8]),
        ]
    )

    def edges(skip: set[str], most: int) -> list[int] | None:
        found = arrays.edges_in_question(skip, most)
        return None if found is None else found.tolist()

    assert edges({"c"}, 4) == [3, 4, 7, 8]
    assert edges(set(), 4) == [3, 4, 6, 7, 8]
    assert edges({"b"}, 3) == [3, 4, 6, 7, 8]
    assert edges({"b"}, 2) is None
    assert edges({"a", "b", "c", "d"}, 0) == []
