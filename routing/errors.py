"""Domain errors of the routing engine; the API maps them to HTTP in one place."""

from __future__ import annotations

from typing import Any


class RoutingError(Exception):
    """Base of routing errors: ``code`` is stable and machine-readable, ``details`` structured."""

    code = "routing_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidCoordinateError(RoutingError, ValueError):
    """A coordinate that is not a finite latitude/longitude pair."""

    code = "invalid_request"


class OutOfAreaError(RoutingError):
    """A point too far from every path of the graph (the distance is in the message)."""

    code = "out_of_area"


class NoRouteError(RoutingError):
    """No route honours the profile's hard limits (strict mode) or none exists at all."""

    code = "no_route"


class SearchBudgetError(RoutingError):
    """A search stopped on its settle budget (``max_settled`` nodes) before it could finish."""

    code = "search_budget_exceeded"


class BboxError(RoutingError):
    """A bounding box that is malformed (``invalid_bbox``) or holds more than one answer may
    carry (``bbox_too_large``, the limit in ``details``)."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code
