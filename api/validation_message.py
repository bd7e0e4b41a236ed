"""A pydantic validation error's message as the API says it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: What pydantic puts before the sentence a validator raised with ``ValueError``.
_LABEL = "Value error, "


def validation_message(error: Mapping[str, Any], default: str = "") -> str:
    """The ``msg`` of one of pydantic's ``errors()`` (``default`` without one); a validator's
    own sentence without pydantic's "Value error, " label, which says nothing to a client
    (the request-body errors, :mod:`api.errors`, and the obstacles' GeoJSON,
    :mod:`api.obstacles.geometry`, say it so)."""
    return str(error.get("msg", default)).removeprefix(_LABEL)
