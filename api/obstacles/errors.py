"""Domain errors of the obstacle service: no HTTP here; :mod:`api.errors` maps them (the status
and code in each docstring) in one place."""

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


class VersionRequiredError(ObstacleServiceError):
    """A change without the version it was read at (lost updates are refused). → 428."""


class ImportFailedError(ObstacleServiceError):
    """Some features of an import are invalid, so nothing was imported. → 422 ``import_failed``.

    ``details`` holds ``errors`` (index, id, code, message per failing feature).
    """
