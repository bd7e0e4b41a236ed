"""The one place that reads a project :class:`~routing.route.Route` for the truth checks.

Contract 2 (issue 10) gives every route ``accessibility.verdict`` ("yes" | "unknown" | "no") and
``accessibility.breaks`` (the broken limits, each with ``limit`` and ``at_m``). Until that lands,
:func:`verdict` falls back to the deprecated ``fully_accessible`` flag and :func:`breaks` to the
route's ``violations``: the only two functions to touch when the route's shape changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def verdict(route: Any) -> str:
    """The route's verdict: "yes", "unknown" or "no" (falls back to ``fully_accessible``)."""
    acc = getattr(route, "accessibility", None)
    if acc is not None:
        return str(acc.verdict)
    return "yes" if route.fully_accessible else "no"


def breaks(route: Any) -> list[dict[str, Any]]:
    """The broken limits as ``{"limit", "at_m", ...}`` dictionaries (falls back to violations)."""
    acc = getattr(route, "accessibility", None)
    if acc is not None:
        return [_as_dict(b) for b in acc.breaks]
    return [v.as_dict() for v in route.violations]


def _as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    if hasattr(item, "as_dict"):
        return dict(item.as_dict())
    return dataclasses.asdict(item)
