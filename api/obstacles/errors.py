"""Domain errors of the obstacle service (mapped to HTTP in :mod:`api.errors`)."""

from __future__ import annotations

from typing import Any


class ObstacleServiceError(Exception):
    """Base class: a message for people and JSON-ready details."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message, self.details = message, details


class NotFoundError(ObstacleServiceError, LookupError):
    """No such obstacle or report (or it was deleted). → 404 ``not_found``."""


class VersionConflictError(ObstacleServiceError):
    """The caller's version is not the stored one: someone else changed it. → 409."""


class StateConflictError(ObstacleServiceError):
    """The thing is not in a state that allows this (a report already decided). → 409."""

    def __init__(self, message: str, code: str = "conflict", **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


class InvalidObstacleError(ObstacleServiceError, ValueError):
    """Well-formed JSON that is still not a valid obstacle (validity window …). → 422."""


def obstacle_error_status(exc: ObstacleServiceError) -> tuple[int, str]:
    """HTTP status and error code of a service error."""
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, VersionConflictError):
        return 409, "version_conflict"
    if isinstance(exc, StateConflictError):
        return 409, exc.code
    if isinstance(exc, InvalidObstacleError):
        return 422, "invalid_request"
    return 400, "bad_request"
