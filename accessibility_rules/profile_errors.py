"""Errors raised while loading or customising a profile (:mod:`accessibility_rules.profile`).

All three share the base :class:`ProfileError`, so a caller (the API, the CLI) can catch one class
and turn it into a 4xx answer; each also subclasses the built-in it refines (``KeyError`` for a
missing preset, ``ValueError`` for a bad parameter) so plain ``except ValueError`` keeps working.
Every message is a full sentence that names the offending input and what would be accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ParameterOutOfRangeError",
    "ProfileError",
    "UnknownParameterError",
    "UnknownProfileError",
]


class ProfileError(Exception):
    """Base class of the profile errors: the input names or sets a parameter wrongly."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        # KeyError would otherwise print the repr of its argument, quotes and all.
        return self.message


class UnknownProfileError(ProfileError, KeyError):
    """No preset of that name exists.

    Attributes
    ----------
    name:
        The name that was asked for.
    known:
        The preset names that do exist, sorted.
    """

    def __init__(self, name: object, known: Sequence[str]) -> None:
        self.name = name
        self.known = list(known)
        super().__init__(f"unknown profile {name!r}; known profiles: {', '.join(self.known)}")


class UnknownParameterError(ProfileError, ValueError):
    """An override names a parameter that does not exist (or one that cannot be overridden).

    Attributes
    ----------
    key:
        The key as given.
    suggestions:
        Close matches among the real parameter names (may be empty).
    """

    def __init__(self, key: object, suggestions: Sequence[str], *, reason: str = "") -> None:
        self.key = key
        self.suggestions = list(suggestions)
        message = reason or f"unknown profile parameter {key!r}"
        if self.suggestions:
            message += f"; did you mean {', '.join(map(repr, self.suggestions))}?"
        super().__init__(message)  # where the parameters are listed is the front end's to say


class ParameterOutOfRangeError(ProfileError, ValueError):
    """A parameter's value is not acceptable; it is rejected, never clamped.

    Raised for a number outside ``[minimum, maximum]``, NaN or infinity, a value of the wrong type,
    a choice that does not exist, a value that contradicts another parameter, or the same parameter
    given twice with different values.

    Attributes
    ----------
    parameter:
        The parameter's name (``unknown.incline`` for the unknown-data policy).
    minimum, maximum:
        The accepted range for numeric parameters, else ``None``.
    unit:
        The unit of the range (``"cm"``, ``"%"`` …) or ``None``.
    value:
        The value that was given.
    choices:
        The accepted values of an enum or set parameter, else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        parameter: str,
        value: Any,
        minimum: float | None = None,
        maximum: float | None = None,
        unit: str | None = None,
        choices: Sequence[str] | None = None,
    ) -> None:
        self.parameter = parameter
        self.value = value
        self.minimum = minimum
        self.maximum = maximum
        self.unit = unit
        self.choices = None if choices is None else list(choices)
        super().__init__(message)
