"""The live effect of obstacles on routing: :class:`LiveObstacles`, one per app.

It (re)loads the active obstacles from the database (:mod:`api.obstacles.active_read`: the
geometry of new versions only), matches their geometry on the graph (cached by obstacle id and
version; a version written by another worker as that worker stored its match,
:mod:`api.obstacles.stored_matches`) and applies them with
:class:`routing.obstacles.overlay.ObstacleOverlay`.
It is refreshed

(a) after each write of this process, before the next route asked after the write was
    answered (the write bumps the beacon of (b), and this worker reads it as the others do; the
    write's answer does not wait for the reload, :meth:`LiveObstacles.written`);
(b) before a route is computed when a worker of this host wrote (its
    :class:`~api.obstacles.beacon.WriteBeacon`, one shared 8-byte read per route), or when the
    database's revision counter changed (checked at most every ``poll_s``, a single-row read):
    how the workers of a multi-process deployment, on one host or several, see each other's
    writes. While a worker answers routes, that poll is made in the background when it falls
    due (:class:`~api.obstacles.poll_ahead.PollAhead`), so that routes rarely wait for it; and
    a route whose request arrived before a write does not wait for it either: the write is
    read in the background and applied between two routes (:mod:`api.obstacles.read_ahead`);
(c) before a route is served when the clock has passed the next ``valid_from`` / ``valid_until``
    of any obstacle (``next_change_at``), so that obstacles start and expire on time without a
    restart.

A restart restores everything: the app's start-up loads all active obstacles.

When the database cannot be read, routes go on with the obstacles last read and say since when
(``obstacles.stale_since``; :mod:`api.obstacles.outage`): a route never waits for the database,
and never fails for it.

Route responses name the obstacles a route *passes* and those it *avoids*
(:meth:`LiveObstacles.describe`; how each is found: :mod:`api.obstacles.route_meets`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from sqlalchemy.orm import Session, sessionmaker

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.profile import Profile
from api.collector import run_paused
from api.db.availability import (
    DATABASE_ERRORS,
    DatabaseNotAnsweringError,
    database_unavailable,
    first_line,
)
from api.db.revision import read_revision
from api.db.session import reading
from api.heap import release_free_heap
from api.obstacles.active_read import ActiveRead, ActiveRow, Known, WithGeometry, read_active
from api.obstacles.beacon import WriteBeacon
from api.obstacles.bounded_read import READ_WAIT_S, bounded_read
from api.obstacles.ends import circles, placed_ends
from api.obstacles.outage import RETRY_S, DatabaseOutage
from api.obstacles.public_map import Applied, encoded_feature
from api.obstacles.read_ahead import Ahead, Arrival, ReadAhead
from api.obstacles.route_meets import RouteMeets
from api.obstacles.stored_matches import match_key, store_missing
from api.obstacles.walkers import WalkerObstacles
from routing.obstacles.effect import ObstacleEffect, stored_effect
from routing.obstacles.matching import (
    DEFAULT_TOLERANCE_M,
    ObstacleMatch,
    ObstacleMatchError,
    edge_geometry_index,
    match_geometry,
    shape_from_geojson,
)
from routing.obstacles.overlay import ObstacleOverlay

if TYPE_CHECKING:
    from routing.engine import Router
    from routing.route import Route

log = logging.getLogger("stufenlos.obstacles")

Clock = Callable[[], datetime]
LatLon = tuple[float, float]
#: How often (seconds) a worker checks the database revision for other workers' writes.
DEFAULT_POLL_S = 0.05


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ActiveObstacle:
    """What a route response says about an applied obstacle, and where it lies."""

    id: str
    version: int
    reason: str
    effect: dict[str, Any]
    edges: np.ndarray
    x: np.ndarray  # matched edge ends in the router's local frame (metres)
    y: np.ndarray
    #: A circle around all of them, ``(x, y, radius)`` in metres (radius -1.0: no ends): the
    #: ellipse test of a route rules most obstacles out with it, on three floats.
    circle: tuple[float, float, float] = (0.0, 0.0, -1.0)
    #: ``effect`` validated, and the match whose ``edges`` these are, as the overlay applies
    #: them (a reload passes both again while the version stands: the overlay then reuses
    #: where it placed them); None for one made without them.
    patch: ObstacleEffect | None = None
    match: ObstacleMatch | None = None

    @classmethod
    def of(
        cls, obstacle_id: str, version: int, reason: str, effect: dict[str, Any], edges: np.ndarray,
        x: np.ndarray, y: np.ndarray, patch: ObstacleEffect | None = None,
        match: ObstacleMatch | None = None,
    ) -> ActiveObstacle:  # fmt: skip
        """The obstacle with its ends ``x``, ``y`` and the circle around them (a reload makes
        those of its new obstacles all at once: :func:`api.obstacles.ends.placed_ends`)."""
        (circle,) = circles(x, y, np.zeros(1, dtype=np.int64), np.full(1, x.size))
        return cls(obstacle_id, version, reason, effect, edges, x, y, circle, patch, match)

    def as_dict(self) -> dict[str, Any]:
        """``{id, reason, effect}``."""
        return {"id": self.id, "reason": self.reason, "effect": self.effect}


@dataclass(frozen=True, slots=True)
class _State:
    """One consistent view, replaced as a whole by each reload."""

    revision: int | None = None
    next_change_at: datetime | None = None
    applied: tuple[tuple[str, int], ...] = ()
    active: dict[str, ActiveObstacle] = field(default_factory=dict)
    #: the obstacles that change the plain walking route, as arrays for the "avoided" test
    walkers: WalkerObstacles = field(default_factory=lambda: WalkerObstacles.of(()))
    #: every active obstacle, as the same arrays: the test against a profile's own route
    placed: WalkerObstacles = field(default_factory=lambda: WalkerObstacles.of(()))
    #: every active obstacle (applied or not) as an encoded feature of the public map, ``GET
    #: /obstacles/active`` (:mod:`api.obstacles.public_map`), in the order of ``applied``
    public: tuple[bytes, ...] = ()
    #: the rows read, active or scheduled (the next reload merges the rows written since)
    rows: tuple[ActiveRow, ...] = ()


class LiveObstacles:
    """Keeps the router's graph patched with exactly the obstacles active now."""

    def __init__(
        self,
        router: Router,
        sessions: sessionmaker[Session],
        clock: Clock = utc_now,
        *,
        tolerance_m: float = DEFAULT_TOLERANCE_M,
        poll_s: float = DEFAULT_POLL_S,
        beacon: WriteBeacon | None = None,
    ) -> None:
        self.router = router
        # the router's attributes are the map's own (nothing changed them before the overlay
        # took its pristine copies): its original metrics are of the map without obstacles
        originals_pristine = router.customizer.revision == 0
        self.overlay = ObstacleOverlay(router)
        #: What a route meets of the obstacles: passed, and avoided (api/obstacles/route_meets.py).
        self.meets = RouteMeets(router, self.overlay, originals_pristine=originals_pristine)
        self.sessions = sessions
        self.clock = clock
        self.tolerance_m = tolerance_m
        self.poll_s = poll_s
        self.beacon = beacon if beacon is not None else WriteBeacon(None)
        self._beacon_seen = self.beacon.value()
        self.reloads = 0  # how often the overlay was applied (for tests and benchmarks)
        self._lock = threading.Lock()
        self._matches: dict[tuple[str, int], ObstacleMatch] = {}
        self._matches_lock = threading.Lock()
        self._state = _State()
        self._checked_at = -math.inf
        #: whether the database answers the reads (the routes' staleness, ``/health``)
        self.outage = DatabaseOutage()
        self._unapplied_write = False  # a write of this host is not applied: its reload failed
        self._checking = threading.Lock()  # held by the thread of check_soon while it reads
        self._match_key: str | None = None
        #: versions a reload matched itself (no stored match for this worker's key), until
        #: :meth:`store_own_matches` stores them
        self._matched_here: dict[tuple[str, int], ObstacleMatch] = {}
        self._locked_at = 0.0  # monotonic seconds: when the lock of the reads was last taken
        #: the write a route must not wait for, read beside the routes (api/obstacles/read_ahead.py)
        self.ahead: ReadAhead[_State, ActiveRead] = ReadAhead()

    @property
    def match_key(self) -> str:
        """What the matches this worker stores and reads are valid for
        (:func:`~api.obstacles.stored_matches.match_key`: its graph, tolerance and matcher)."""
        if self._match_key is None:
            self._match_key = match_key(self.router.graph, self.tolerance_m)
        return self._match_key

    def warm_up(self) -> None:
        """Build what the first write and the first route would otherwise wait for: the edge
        geometry index of matching and the walking weights of the map without obstacles.

        Called at start, before any obstacle is applied: the router's own walking weights are
        then those of the map without obstacles, and they are taken as they are (in a forked
        worker they are the parent's, shared, instead of a copy computed by every worker). A
        write makes the router new arrays (:func:`~routing.metric.patch_metric` copies), so
        these stay as they are."""
        edge_geometry_index(self.router.graph, self.router.index)
        _ = self.match_key  # hashed at start, not by the first write or reload
        self.meets.warm_up()

    # --- matching --------------------------------------------------------------------------------
    def match(self, geometry: shapely.Geometry) -> ObstacleMatch:
        """Match a geometry (validated by the API's one GeoJSON rule) on the graph (raises
        ObstacleMatchError)."""
        return match_geometry(
            self.router.graph, self.router.index, geometry, tolerance_m=self.tolerance_m
        )

    def check_effect(self, match: ObstacleMatch, effect: ObstacleEffect) -> None:
        """Raise ObstacleMatchError when ``effect`` at ``match`` would change no path
        (:meth:`~routing.obstacles.overlay.ObstacleOverlay.changed_edges`): staff would see
        the obstacle stored and live while every route went on as before."""
        if self.overlay.changed_edges(match, effect).size:
            return
        kind = match.geometry_type
        raise ObstacleMatchError(
            f"the {kind} changes no path: it runs along no path of the map, and a line or "
            f"an area acts on the nodes it meets ({match.nodes.size}) only with a kerb "
            "(to close a crossing or another node, draw a point on it)"
        )

    def remember(self, obstacle_id: str, version: int, match: ObstacleMatch) -> None:
        """Seed the match cache from a write (the writer matched already)."""
        with self._matches_lock:
            self._matches[(obstacle_id, version)] = match

    def store_own_matches(self) -> int:
        """Store the matches this worker's reloads made themselves (no stored match under its
        key) where none is stored yet (:func:`~api.obstacles.stored_matches.store_missing`);
        how many it offered. Called at the start, after the first load: a read path (a route's
        reload) writes nothing. Best effort: a database that refuses leaves them unstored (the
        next start offers them again)."""
        with self._lock:
            own = dict(self._matched_here)
            self._matched_here.clear()
        if not own:
            return 0
        try:
            with self.sessions.begin() as session:
                store_missing(session, self.match_key, own)
        except DATABASE_ERRORS as exc:
            log.warning("the matches made at start were not stored: %s", first_line(exc))
            return 0
        return len(own)

    def cached_match(self, obstacle_id: str, version: int) -> ObstacleMatch | None:
        """The cached match of an obstacle version, if any."""
        with self._matches_lock:
            return self._matches.get((obstacle_id, version))

    # --- state -----------------------------------------------------------------------------------
    @property
    def revision(self) -> int | None:
        """The database revision the overlay reflects."""
        return self._state.revision

    @property
    def next_change_at(self) -> datetime | None:
        """When the next obstacle starts or ends (None: nothing scheduled)."""
        return self._state.next_change_at

    @property
    def active(self) -> dict[str, ActiveObstacle]:
        """The applied obstacles by id."""
        return self._state.active

    def public_view(self) -> tuple[Applied, tuple[bytes, ...]]:
        """The active obstacles as ``(id, version)`` pairs and as the public map's features,
        of one reload (both of the same state)."""
        state = self._state
        return state.applied, state.public

    def ensure_fresh(self, arrived: Arrival = None) -> None:
        """Per route, before it is computed: reload if a validity boundary passed, if a worker of
        this host wrote (the beacon), or (every ``poll_s``) if the database revision changed.
        Cheap when nothing changed.

        ``arrived``: the beacon's value when the route's request arrived
        (:mod:`api.obstacles.read_ahead`). A write made after that is read in the background
        and applied by a later route, not waited for; None: every write this host made before
        now is applied first. A read made ahead that is in is applied first, whatever the
        route (no database wait).

        Never fails or waits for the database: when it cannot be read, the route goes on with
        the obstacles last read (:attr:`outage` says since when), and every
        :data:`~api.obstacles.outage.RETRY_S` a thread of its own tries again (a server that
        does not answer holds that thread, not the routes'); once it answers, the next route
        reloads what changed. A poll that another thread is making is not waited for either
        (the route goes on as read); a write of this host that the route must honour is."""
        if self.outage.down:
            self.check_soon()
            return
        try:
            if self.ahead.ready:
                self.apply_ahead()
            beacon = self.beacon.value()
            if beacon != self._beacon_seen or self._unapplied_write:
                if self._honoured(arrived, beacon):
                    self.ahead.start(self._read_ahead)
                    return
                if self.ahead.running:  # the write's read is under way: its result, not another
                    self.ahead.wait(READ_WAIT_S)
                    if self.ahead.running:  # a second: the database does not answer
                        self._not_answering()
                        return
                    if self.apply_ahead() and self._honoured(beacon, self.beacon.value()):
                        return
                self._unapplied_write = True  # until the reload succeeds (first: never honoured)
                self._beacon_seen = beacon  # before the database is read: no write is missed
                self.refresh(written=True)
                self._unapplied_write = False
            elif self._due():
                self.refresh(blocking=False)
        except DATABASE_ERRORS as exc:
            if not database_unavailable(exc):  # noted in the outage by refresh: go on as read
                raise

    def _not_answering(self) -> DatabaseNotAnsweringError:
        """A read has run :data:`~api.obstacles.bounded_read.READ_WAIT_S` without an answer:
        the outage starts (routes go on as read, :attr:`outage`); its error."""
        exc = DatabaseNotAnsweringError(f"a read of the obstacles took over {READ_WAIT_S:g} s")
        self.outage.failed(self.clock(), exc)
        return exc

    def _honoured(self, arrived: Arrival, beacon: int) -> bool:
        """Whether a route that arrived when the beacon read ``arrived`` has every write it must
        honour applied, the beacon reading ``beacon`` now: the writes applied reach that value
        (a beacon that went back is a new file, :meth:`WriteBeacon.heal
        <api.obstacles.beacon.WriteBeacon.heal>`: then not, nor while a write of this
        process is unapplied)."""
        return (
            arrived is not None
            and not self._unapplied_write
            and beacon >= self._beacon_seen >= arrived
        )

    def fresh_for(self, arrived: Arrival) -> bool:
        """Whether a route whose request arrived when the beacon read ``arrived`` can be
        computed now without a database read or an apply first (:meth:`ensure_fresh` would find
        nothing to do for it): as :meth:`fresh`, but writes made after it arrived are read in
        the background (started here), not waited for."""
        if self.ahead.ready:  # in: to be applied before the next route, in the CPU thread
            return False
        beacon = self.beacon.value()
        if beacon != self._beacon_seen or self._unapplied_write:
            if not self._honoured(arrived, beacon):
                return False
            if not self.outage.down:  # (during one, the route's own path tries again)
                self.ahead.start(self._read_ahead)
        return not self._due()

    def read_ahead(self) -> bool:
        """Read what changed into :attr:`ahead` in the calling thread (one that may wait for
        the database: the background poll's, :class:`~api.obstacles.poll_ahead.PollAhead`), for
        :meth:`apply_ahead`; whether it read (not when another read ran or a result waits)."""
        return self.ahead.run_here(self._read_ahead)

    def _read_ahead(self) -> Ahead[_State, ActiveRead] | None:
        """What changed since the state applied, read now (in a thread where waiting stops no
        route: after another read that holds the lock of the reads, a background poll's, at
        most :data:`~api.obstacles.bounded_read.READ_WAIT_S`; None when that runs out). Counts
        as the revision poll."""
        if not self._lock.acquire(timeout=READ_WAIT_S):
            return None
        try:
            self._locked_at = time.monotonic()
            beacon = self.beacon.value()  # before the read: every write it counts is in it
            state, now = self._state, self.clock()
            with self._noting_outage():
                read = run_paused(self._read_changes, state, now, force=False)
            self._checked(now)
            return Ahead(state, beacon, now, read)
        finally:
            self._lock.release()

    def apply_ahead(self) -> bool:
        """Apply the read made ahead if it is in and was read against the state applied now (in
        the CPU thread: it rewrites what routes read); whether it did. Waits for nothing: while
        another read holds the lock of the reads, the result is kept for the next route."""
        ahead = self.ahead.take()
        if ahead is None:
            return False
        if not self._lock.acquire(blocking=False):
            self.ahead.put_back(ahead)
            return False
        try:
            if ahead.state is not self._state:  # a reload came between: read again
                return False
            if ahead.read is not None:
                run_paused(self._reload, ahead.read, ahead.now)
            self._beacon_seen = ahead.beacon
            return True
        finally:
            self._lock.release()

    def check_soon(self) -> threading.Event | None:
        """Read the database's revision in a thread of its own (one at a time; returns at once)
        when the reads fail and the next try is due, or when the last read that succeeded is
        more than :data:`~api.obstacles.outage.RETRY_S` old. A read that succeeds ends an
        outage and leaves a change due for the next route (:meth:`check_revision`); one that
        fails starts one. Routes call it during an outage, ``/health`` always: so that what
        it says is at most a second old, also on a worker that answers no routes. Returns an
        event set when the read it started has ended (None: it started none), for ``/health``
        to wait a moment for it."""
        outage = self.outage
        if outage.waiting() or (not outage.down and outage.read_age_s() < RETRY_S):
            return None
        if not self._checking.acquire(blocking=False):
            return None  # one is reading
        self.outage.postpone()
        ended = threading.Event()

        def retry() -> None:
            try:
                self.check_revision()
            except Exception:  # not an outage: the next route's reload will say it again
                log.exception("reading the obstacle database's revision failed")
            finally:
                self._checking.release()
                ended.set()

        threading.Thread(target=retry, name="obstacle-database-check", daemon=True).start()
        return ended

    def fresh(self) -> bool:
        """Whether :meth:`ensure_fresh` would find nothing to do now: no write of this host
        unseen, no validity boundary passed, the revision poll not due (no database read)."""
        return self.fresh_for(None)  # (no arrival: every write of this host applied first)

    def poll_due_in_s(self) -> float:
        """Seconds until the revision poll falls due (0.0 when it is due now); what
        :class:`~api.obstacles.poll_ahead.PollAhead` waits before polling in the background."""
        if self.outage.down:
            return self.outage.retry_in_s()
        return max(0.0, self._checked_at + self.poll_s - time.monotonic())

    def _due(self) -> bool:
        """Whether a validity boundary has passed or the revision poll is due (while the
        database cannot be read: whether the next try is due)."""
        if self.outage.down:  # (the route only starts a try in the background)
            return not self.outage.waiting()
        return self._boundary_passed(self._state, self.clock()) or self.poll_due_in_s() == 0.0

    @staticmethod
    def _boundary_passed(state: _State, now: datetime) -> bool:
        """Whether an obstacle of ``state`` has started or expired by ``now`` (a reload is due)."""
        return state.next_change_at is not None and now >= state.next_change_at

    def written(self) -> None:
        """A write of this process committed: tell every worker of the host, this one included.

        With the beacon, each worker applies the write before the next route it computes
        (:meth:`ensure_fresh`, in its CPU thread), so every route that starts after the write
        was answered honours it, and the write's answer does not wait for the re-weighting
        (which would compete with the routes for the interpreter). Without a beacon, this
        worker's next route likewise (the write is marked unapplied), and other workers poll
        the database. Never here: the writer's thread is a pool thread (since 2026-12-07,
        :mod:`api.routes.obstacles`), and a reload must not run beside a route (it rewrites
        what routes read).
        """
        self.beacon.bump()
        if not self.beacon.enabled:
            self._unapplied_write = True

    def refresh(self, *, force: bool = False, written: bool = False, blocking: bool = True) -> bool:
        """Reload from the database if anything changed (or ``force``); True if it reloaded.

        ``written``: a worker of this host has committed a write since the last look (the
        beacon), so the revision has changed and the read of it alone, made first otherwise
        (the poll's common answer is "nothing new"), is skipped. ``blocking=False``: when
        another thread is reading already, return False at once. Raises the database's error
        when it cannot be read (after noting it in :attr:`outage`). Its caller is a route's or
        a write's: it waits for the database at most
        :data:`~api.obstacles.bounded_read.READ_WAIT_S` per read, and as long for another
        thread's read (:meth:`check_revision`'s, which is not bounded: it runs where waiting
        stops no route)."""
        if not self._acquire(blocking):
            return False
        try:
            with self._noting_outage():
                return self._refresh(force=force, written=written)
        finally:
            self._lock.release()

    @contextmanager
    def _noting_outage(self) -> Iterator[None]:
        """A read of the database in it that fails because the database cannot be read now
        (:func:`~api.db.availability.database_unavailable`) is noted in :attr:`outage`; every
        error is raised on."""
        try:
            yield
        except DATABASE_ERRORS as exc:
            if database_unavailable(exc):
                self.outage.failed(self.clock(), exc)
            raise

    def _acquire(self, blocking: bool) -> bool:
        """The lock of the reads, for a caller that must not wait for the database: at once
        (``blocking=False``: False if another thread reads) or within
        :data:`~api.obstacles.bounded_read.READ_WAIT_S`. A read that has held it longer means
        the database does not answer: the outage starts (and, when ``blocking``, is raised)."""
        if self._lock.acquire(timeout=READ_WAIT_S) if blocking else self._lock.acquire(False):
            self._locked_at = time.monotonic()
            return True
        if time.monotonic() - self._locked_at >= READ_WAIT_S:
            exc = self._not_answering()
            if blocking:
                raise exc
        return False

    def _refresh(self, *, force: bool, written: bool) -> bool:
        """:meth:`refresh` with the lock held."""
        now = self.clock()
        state = self._state
        due = self._boundary_passed(state, now)
        if not (force or due or written) and bounded_read(self.revision_now) == state.revision:
            self._checked(now)  # the poll's common answer: nothing new
            return False
        # rows of big areas are many lists (api/collector.py)
        reloaded = run_paused(self._read_and_reload, state, now, force=force)
        self._checked(now)
        return reloaded

    def _read_and_reload(self, state: _State, now: datetime, *, force: bool) -> bool:
        """Read what changed and reload it; whether it reloaded."""
        read = bounded_read(lambda: self._read_changes(state, now, force=force))
        if read is None:
            return False
        self._reload(read, now)
        return True

    def _read_changes(self, state: _State, now: datetime, *, force: bool) -> ActiveRead | None:
        """If anything is to be reloaded (``force``, a validity boundary passed, the revision
        moved), the database's revision and the obstacles active or scheduled at ``now``, with
        the geometries and stored matches of the versions this worker has not applied
        (:mod:`api.obstacles.active_read`), read on one connection; else None. Unless
        ``force``, the rows read before are kept and only those written since are read."""
        with reading(self.sessions) as reader:  # the revision again, with the rows it counts
            revision = read_revision(reader)
            due = self._boundary_passed(state, now)
            if not (force or due or revision != state.revision):
                return None
            with self._matches_lock:
                matched = set(self._matches)
            known = None
            if not force and state.revision is not None and 0 <= state.revision <= revision:
                known = Known(state.revision, state.rows)
            return read_active(
                reader, revision, now, encoded=set(state.applied), matched=matched,
                key=self.match_key, known=known,
            )  # fmt: skip

    def _checked(self, now: datetime) -> None:
        """The database was read at ``now``: the poll is made, an outage over; and the beacon
        file looked at (one ``stat``: a temporary-file cleaner may have removed it)."""
        self._checked_at = time.monotonic()
        self.outage.succeeded(now)
        self.beacon.heal()

    def check_revision(self) -> bool:
        """The revision poll without a reload: whether nothing changed (no write of this host
        unseen, no validity boundary passed, the database's revision the one applied); then the
        poll counts as made and routes find the obstacles fresh for ``poll_s`` more. When
        something changed, the poll is left due (made due now), so that the next route, or the
        caller, reloads first (:meth:`ensure_fresh`, in the CPU thread). It never changes what
        routes read: it may run beside a route being computed, in any thread
        (:class:`~api.obstacles.poll_ahead.PollAhead` runs it off the CPU thread).

        While the database cannot be read, the answer is True (nothing a route could reload
        now): the failure is noted in :attr:`outage`, and routes go on as read.
        """
        with self._lock:
            self._locked_at = time.monotonic()
            state = self._state
            now = self.clock()
            changed_here = (
                self.beacon.value() != self._beacon_seen
                or self._unapplied_write
                or self._boundary_passed(state, now)
            )
            revision = state.revision
            try:  # (during an outage the database is read in any case: does it answer?)
                if not changed_here or self.outage.down:
                    revision = self.revision_now()
            except DATABASE_ERRORS as exc:
                if not database_unavailable(exc):
                    raise
                self.outage.failed(now, exc)
                return True
            if not changed_here and revision == state.revision:
                self._checked(now)
                return True
            self._checked_at = time.monotonic() - self.poll_s  # due now: reload first
            if self.outage.down:
                self.outage.succeeded(now)
            return False

    def revision_now(self) -> int:
        """The database's revision counter (the poll runs every ``poll_s`` before a route)."""
        with reading(self.sessions) as reader:
            return read_revision(reader)

    def _reload(self, read: ActiveRead, now: datetime) -> None:
        """Apply the obstacles of ``read`` active at ``now``: each version's match as this
        worker made or read it before, else as stored by its writer, else matched here (its
        geometry read for it)."""
        rows, revision, stored, geometries = read.rows, read.revision, read.stored, read.geometries
        active = [r for r in rows if r.valid_from <= now]
        upcoming = [r.valid_from for r in rows if r.valid_from > now]
        upcoming += [r.valid_until for r in active if r.valid_until is not None]
        next_change = min(upcoming, default=None)
        applied = tuple((r.id, r.version) for r in active)
        state = self._state
        if applied == state.applied and state.revision is not None:
            self._state = dataclasses.replace(
                state, revision=revision, next_change_at=next_change, rows=tuple(rows)
            )
            return
        items: list[tuple[str, ObstacleMatch, ObstacleEffect]] = []
        described: dict[str, ActiveObstacle] = {}
        new: list[tuple[ActiveRow, ObstacleMatch, ObstacleEffect]] = []
        before = state.active
        for row in active:
            known = before.get(row.id)
            if (
                known is not None
                and known.version == row.version
                and known.match is not None
                and known.patch is not None
            ):  # applied before, unchanged: its match, effect and description as they were
                # (the same objects: the overlay reuses where it placed them)
                items.append((row.id, known.match, known.patch))
                described[row.id] = known
                continue
            match = self.cached_match(row.id, row.version) or stored.get((row.id, row.version))
            try:
                if match is None:
                    match = self.match(shape_from_geojson(geometries[(row.id, row.version)]))
                    self._matched_here[(row.id, row.version)] = match
                effect = stored_effect(row.effect)
            except (ObstacleMatchError, ValueError) as exc:  # matched at write; the graph changed
                log.warning("obstacle %s no longer applies to this graph: %s", row.id, exc)
                continue
            self.remember(row.id, row.version, match)
            items.append((row.id, match, effect))
            new.append((row, match, effect))
        # where the new ones lie, found for all at once (an import's thousands)
        ends = placed_ends(self.router.graph, self.router.index.frame, [m for _, m, _ in new])
        for i, (row, match, effect) in enumerate(new):
            x, y = ends.of(i)
            described[row.id] = ActiveObstacle(
                row.id, row.version, row.reason, row.effect, match.edges, x, y, ends.circles[i],
                effect, match,
            )  # fmt: skip
        infos = {oid: described[oid] for oid, _, _ in items}  # in the order applied
        self.overlay.apply(items)
        self.reloads += 1
        # the arrays of the unchanged ones (the same objects as before) gathered from the last
        placed = state.placed.updated(
            list(infos.values()), [infos[oid] is before.get(oid) for oid in infos]
        )
        walkers = placed.subset(placed.touching(self.meets.walk_changed()))
        keep = {(r.id, r.version) for r in rows}  # the rest forgotten (in place: a write
        # removes one or two of thousands; copying both dictionaries took ~2.3 ms at 10,000)
        with self._matches_lock:
            for key in self._matches.keys() - keep:
                del self._matches[key]
        for key in self._matched_here.keys() - keep:
            del self._matched_here[key]
        kept = dict(zip(state.applied, state.public, strict=True))  # unchanged: as encoded
        public = tuple(
            kept.get((r.id, r.version))
            or encoded_feature(WithGeometry.of(r, geometries[(r.id, r.version)]))
            for r in active
        )
        self._state = _State(
            revision, next_change, applied, infos, walkers, placed, public, tuple(rows)
        )
        release_free_heap()  # the arrays the change replaced (api/heap.py)

    # --- what a route meets ----------------------------------------------------------------------
    def describe(
        self,
        route: Route,
        points: Sequence[LatLon] = (),
        profile: Profile | None = None,
        conditions: Conditions = DEFAULT_CONDITIONS,
    ) -> dict[str, Any]:
        """``{"passed": [...], "avoided": [...]}`` for a route (each ``{id, reason, effect}``:
        :meth:`RouteMeets.met <api.obstacles.route_meets.RouteMeets.met>` of the obstacles
        active now, with the request's ``points``, the route's ``profile`` and the day's
        ``conditions``), and ``stale_since`` while the database cannot be read (the time of the
        last read)."""
        state = self._state
        passed, avoided = self.meets.met(
            route, state.walkers, state.placed, points, profile, conditions
        )
        described: dict[str, Any] = {
            "passed": [state.active[o].as_dict() for o in passed if o in state.active],
            "avoided": [state.active[o].as_dict() for o in avoided if o in state.active],
        }
        if self.outage.down:  # the obstacles as last read: say when that was
            described["stale_since"] = self.outage.stale_since()
        return described
