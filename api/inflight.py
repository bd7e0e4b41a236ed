"""Which requests a worker process has in hand: is a route request the only one?

uvicorn keeps the task of every request whose head has arrived in one set per process (its
``ServerState.tasks``; a task leaves it when its response is complete). The serving protocols
(:mod:`api.http_protocol`) hand that set here when a connection opens, so the fast route path can ask
:func:`alone` before it decides where a route is computed (:mod:`api.fastpath`): on the event
loop itself when nothing else waits for the loop, in the CPU thread otherwise.

In process (a test client, an ASGI call) no protocol registers a set, and :func:`alone` says
no: such a route goes to the CPU thread, as every route did before.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["alone", "connection_opened", "first_head_read", "nothing_but_routes", "served", "track"]

#: The request tasks of this process (uvicorn's own set), once a connection has opened.
_tasks: Collection[Any] | None = None
#: Connections this process has accepted whose first request head has not been read yet.
_new_connections = 0


def track(tasks: Collection[Any] | None) -> None:
    """Count the requests in ``tasks`` (called by the protocol of each new connection: the
    same set every time in one process, a worker's own after a fork); None counts nothing."""
    global _tasks
    _tasks = tasks


def alone() -> bool:
    """Whether the request asking (an ASGI request, with its task in the set) is the only one
    this process has in hand (no other request has arrived and not been answered, pipelined
    ones aside); False when nothing is counted."""
    tasks = _tasks
    return tasks is not None and len(tasks) <= 1


def nothing_but_routes() -> bool:
    """Whether nothing but the routes its HTTP protocol answers on the event loop waits for this
    process's loop (:mod:`api.direct`, :mod:`api.loop_routes`): no request task in hand (a
    ``/health``, a staff write, a route waiting for the CPU thread), and no accepted connection
    whose first request head has not been read yet (it is set up in a few turns of the loop
    before its request gets a task: :mod:`api.balance`). A connection that sends nothing keeps
    the turns single until the head timeout closes it (5 s by default): it costs the worker the
    batching's gain meanwhile, nothing else. Measured (``bench_load.py`` alternating with the
    turns that counted request tasks only): ``/health`` on a new connection under load p50 6.4
    against 13.1 ms, p99 12.4 against 19.4; the far-away 422s p50 7.1 against 13.1; routes/s
    equal."""
    return not _tasks and not _new_connections


def connection_opened() -> None:
    """Count an accepted connection until :func:`first_head_read` (:mod:`api.balance`)."""
    global _new_connections
    _new_connections += 1


def first_head_read() -> None:
    """A connection counted by :func:`connection_opened` has read its first request head, or
    has ended before it (called once per such connection)."""
    global _new_connections
    _new_connections -= 1


def served() -> bool:
    """Whether this process's requests are counted: a worker of ``stufenlos serve`` (in process,
    with a test client or an ASGI call, they are not)."""
    return _tasks is not None
