"""What an obstacle changes: the validated attribute patch staff attach to a geometry.

A construction site that closes a sidewalk, an elevator out of service, a kerb lowered last week,
a sidewalk narrowed by scaffolding: each is a *geometry* (where, see
:mod:`routing.obstacles.matching`) and an :class:`ObstacleEffect` (what changes there). The effect
does not carry costs of its own; it rewrites the same attribute arrays the OSM build writes
(``closed``, ``width_m``, ``kerb_height_cm`` …; see :mod:`routing.obstacles.overlay`), so that the
rules of :mod:`accessibility_rules.weights` turn it into costs and hard limits for every profile
alike (a 0.8 m passage stops a wheelchair but not a walker; a closed sidewalk stops everyone).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from accessibility_rules.json_types import JSON_INTEGER
from accessibility_rules.profile import SmoothnessName, SurfaceName

__all__ = ["ObstacleEffect", "stored_effect"]


#: What makes an effect change something: a switch set to true, or a value given.
_SWITCHES = ("closed", "elevator_out_of_service")
_VALUES = ("width_m", "kerb_height_cm", "surface", "smoothness", "step_count", "wheelchair")


def _changes_something_schema(schema: dict[str, Any]) -> None:
    """State :meth:`ObstacleEffect._changes_something` in the JSON schema (and so in the
    OpenAPI document): one switch ``true`` or one value not null (an ``anyOf`` of those)."""
    schema["anyOf"] = [
        {"properties": {name: {"const": True}}, "required": [name]} for name in _SWITCHES
    ] + [{"properties": {name: {"not": {"type": "null"}}}, "required": [name]} for name in _VALUES]


class ObstacleEffect(BaseModel):
    """What an obstacle changes on the paths it is matched to (an attribute patch).

    Every field left at its default changes nothing; at least one must be set. Units are in the
    names; values out of range, NaN and infinity are rejected, never clamped; each value is of
    its JSON type (``"0.8"`` for a width, ``"true"`` or ``1`` for ``closed`` are refused, not
    read as what they might mean).
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=_changes_something_schema
    )

    closed: bool = Field(
        default=False,
        strict=True,
        description="Impassable for everyone (a closed sidewalk or crossing).",
    )
    width_m: float | None = Field(
        default=None,
        strict=True,
        ge=0.0,
        le=20.0,
        allow_inf_nan=False,
        description="The passage is narrowed to this clear width in metres (never widened).",
    )
    kerb_height_cm: float | None = Field(
        default=None,
        strict=True,
        ge=0.0,
        le=50.0,
        allow_inf_nan=False,
        description=(
            "A kerb of this height in centimetres at the matched nodes (on the matched edges if "
            "no node matched); also corrects a kerb, e.g. 'lowered to 2 cm'."
        ),
    )
    surface: SurfaceName | None = Field(default=None, description="The surface is now this.")
    smoothness: SmoothnessName | None = Field(
        default=None, description="The smoothness is now this."
    )
    step_count: Annotated[int, Strict(), Field(ge=1, le=1000), JSON_INTEGER] | None = Field(
        default=None,
        description="The way is steps with this many steps (e.g. a ramp removed).",
    )
    elevator_out_of_service: bool = Field(
        default=False,
        strict=True,
        description=(
            "Closes the matched elevator edges and nodes; if the match holds no elevator, "
            "closes the matched edges."
        ),
    )
    wheelchair: Literal["yes", "limited", "no"] | None = Field(
        default=None, description="The OSM wheelchair=* judgement for the matched paths."
    )

    @model_validator(mode="after")
    def _changes_something(self) -> ObstacleEffect:
        if not any(getattr(self, name) for name in _SWITCHES) and all(
            getattr(self, name) is None for name in _VALUES
        ):
            names = [n for n in type(self).model_fields if n in _SWITCHES or n in _VALUES]
            raise ValueError(
                f"the obstacle effect changes nothing: set {', '.join(names[:-1])} or {names[-1]}"
            )
        return self


def stored_effect(data: Mapping[str, Any]) -> ObstacleEffect:
    """A stored effect (validated when written) as an :class:`ObstacleEffect`, one object for
    equal values: the thousands of obstacles of an import share a few effects, and each reload
    that applies them validated each anew (10,000: ~25 ms of the worker's next route). Keyed
    by name, type and value (``True``, ``1`` and ``1.0`` are equal in Python, not in the
    schema); values that are not hashable are validated, never cached. Raises
    ``pydantic.ValidationError`` as :meth:`ObstacleEffect.model_validate` does."""
    try:
        key = tuple(sorted((name, type(value).__name__, value) for name, value in data.items()))
        return _validated(key)
    except TypeError:  # not hashable, or names that do not sort: no key
        return ObstacleEffect.model_validate(data)


@functools.lru_cache(maxsize=1024)
def _validated(key: tuple[tuple[str, str, Any], ...]) -> ObstacleEffect:
    return ObstacleEffect.model_validate({name: value for name, _, value in key})
