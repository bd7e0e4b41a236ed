"""Fresh landmarks for a metric that obstacles made looser, bought when its searches paid for them.

A staff obstacle patches the cached metrics (:func:`routing.metric.patch_metric`) and keeps their
own landmarks: computed on the costs before, they stay a lower bound where costs only rose, but
a looser one around every closure and every new penalty, and each search settles more nodes
until the next full customisation. Measured on Kaiserslautern with 300 obstacles active (100
closures, 100 narrowings, 100 high kerbs; the seeded trips of ``bench_api.py``): a wheelchair
search 198 µs on the kept landmarks against 91 on landmarks of the patched costs (1,187
against 548 settled nodes), a walking one 90 against 53; the landmarks cost 9–10 ms (one
Dijkstra over the whole graph per landmark).

When to pay that is a rent-or-buy choice: the searches on the older landmarks pay *rent*
(:class:`~routing.metric.LandmarkRent`: the nodes they settle, summed over the metric's patched
copies while the landmarks stay), and once the rent reaches the *price* of fresh landmarks
(one settle of every node per landmark) they are bought. Whatever the gain, the work spent on
landmarks never exceeds the work the searches spent meanwhile (the classic bound of renting
until the rent paid equals the price), so a metric searched rarely, or one whose obstacles lie
where no route goes, costs little; a metric in use, in a city with many obstacles, gets its
searches back to the speed they had before.

The rent alone cannot tell whether fresh landmarks gain anything: with a few obstacles where
few routes go and a write every second, a busy worker would buy new landmarks for every hot
metric after every write and gain nothing. So fresh landmarks are judged before they are put
in use: the latest :data:`~routing.metric.RENT_RECENT_TRIPS` searches on the metric are run
again on both (:func:`pays`); they replace the old ones only when they settle at least
:data:`MIN_GAIN` fewer nodes, and otherwise the metric keeps its landmarks and its price
doubles (up to :data:`MAX_PRICE_FACTOR` times, for the profile and conditions, also across
patches whose costs went back to the landmarks' own in between: a closure written and
deleted), so useless purchases become rarer and rarer.

They are bought off the request path: a thread of the router's process computes them (the
kernel releases the interpreter lock) and puts the metric with them in the cache in place of
the one they were computed for, if the cache still holds that one (a later patch discards them;
its own rent, carried over, asks again). A route never waits for them: on a graph of a million
nodes they take seconds. The thread starts when first needed in a process (a forked worker
starts its own) and ends after :data:`IDLE_EXIT_S` without work.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Hashable
from typing import Protocol

from routing.metric import LandmarkRent, Metric
from routing.snapping import SnapPoint

__all__ = ["IDLE_EXIT_S", "MAX_PRICE_FACTOR", "MIN_GAIN", "LandmarkRefresher", "pays"]

log = logging.getLogger("stufenlos.routing")

#: Seconds the refresh thread waits for work before it ends (started again when needed).
IDLE_EXIT_S = 10.0
#: Fresh landmarks are put in use when the latest searches settle at least this share fewer
#: nodes on them.
MIN_GAIN = 0.10
#: The price of fresh landmarks doubles, up to this many times, each time they did not pay
#: (measured 2026-12-07, ``bench_load.py``: a closure written and deleted every second beside
#: 64 concurrent routes and no other obstacle: a purchase after each write, none paying, had
#: raised write → live p95 from 34–40 to 48–70 ms).
MAX_PRICE_FACTOR = 64

#: The nodes a search between two snapped points settles on a metric (None: no route).
Settled = Callable[[SnapPoint, SnapPoint, Metric], "int | None"]


def pays(stale: Metric, fresh: Metric, settled: Settled) -> bool:
    """Whether ``fresh`` (``stale``'s weights on landmarks of their own costs) settles at least
    :data:`MIN_GAIN` fewer nodes than ``stale`` on the latest searches on ``stale`` (its rent's
    ``recent``). If not, ``stale``'s rent starts again (the refresher doubles its price)."""
    rent = stale.rent
    if rent is None:
        return False
    before = after = 0
    for source, target in list(rent.recent):  # (copied in one step: appends go on)
        old, new = settled(source, target, stale), settled(source, target, fresh)
        if old is not None and new is not None:
            before, after = before + old, after + new
    name = stale.profile.name if stale.profile is not None else "?"
    if before > 0 and after <= (1.0 - MIN_GAIN) * before:
        log.info(
            "fresh landmarks for %s: the latest searches settle %d nodes on them against %d",
            name, after, before,
        )  # fmt: skip
        return True
    rent.settled, rent.asked = 0, False
    log.info("fresh landmarks for %s not used: %d settled nodes against %d", name, after, before)
    return False


class _Keyed(Protocol):
    """What a refresh is asked by: a metric's cache key."""

    @property
    def key(self) -> Hashable: ...


class LandmarkRefresher:
    """Charges searches' settled nodes to their metric's rent and, once it reaches ``price``
    (settled nodes) times its ``factor``, has ``refresh(key)`` run in a thread of its own (at
    most one at a time, each key once while queued). ``refresh`` is the router's: it finds the
    metric cached under the key and replaces it with one on fresh landmarks when they
    :func:`pays` (whether they paid; None when there was nothing to judge)."""

    def __init__(self, price: int, refresh: Callable[[Hashable], bool | None]) -> None:
        self.price = max(1, int(price))
        self._refresh = refresh
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Hashable] = queue.SimpleQueue()
        self._queued: set[Hashable] = set()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        #: Per key whose fresh landmarks did not pay: the factor its price is raised by.
        self._factors: dict[Hashable, int] = {}
        #: Fresh landmarks put in use, and those that did not pay (for tests and benchmarks).
        self.refreshed = 0
        self.declined = 0

    def charge(
        self, metric: _Keyed, rent: LandmarkRent, settled: int, source: SnapPoint, target: SnapPoint
    ) -> None:
        """Add a search's ``settled`` nodes to ``rent`` (``metric.rent``) and remember its ends;
        ask for fresh landmarks of ``metric``'s key once it reaches the price."""
        rent.settled += settled
        rent.recent.append((source, target))
        if rent.asked or rent.settled < self.price * rent.factor:
            return
        key = metric.key  # (hashed only here, when the rent reaches its price)
        factor = self._factors.get(key, 1)
        if factor > rent.factor:  # fresh ones did not pay for this key: a higher price
            rent.factor = factor
            if rent.settled < self.price * factor:
                return
        rent.asked = True
        self.ask(key)

    def price_factor(self, key: Hashable) -> int:
        """How many times :attr:`price` the rent of ``key``'s metrics must reach."""
        return self._factors.get(key, 1)

    def ask(self, key: Hashable) -> None:
        """Queue ``key`` (once while it waits) and make sure this process's thread runs."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's thread is not here
                self._pid, self._thread, self._queued = os.getpid(), None, set()
                self._queue = queue.SimpleQueue()
            if key in self._queued:
                return
            self._queued.add(key)
            self._queue.put(key)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="stufenlos-landmarks", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        """Refresh the queued keys one after the other; end after :data:`IDLE_EXIT_S` idle."""
        while True:
            try:
                key = self._queue.get(timeout=IDLE_EXIT_S)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            with self._lock:
                self._queued.discard(key)
            try:
                paid = self._refresh(key)
                if paid:
                    self.refreshed += 1
                    self._factors.pop(key, None)
                elif paid is not None:
                    self.declined += 1
                    self._factors[key] = min(MAX_PRICE_FACTOR, 2 * self._factors.get(key, 1))
            except Exception:  # never lose the thread: the metric keeps its older landmarks
                log.exception("fresh landmarks for %r failed", key)
