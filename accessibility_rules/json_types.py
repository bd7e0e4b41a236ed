"""JSON's integer for pydantic fields read from users' JSON: what JSON Schema's ``integer``
admits, nothing more (request bodies, obstacle effects, a profile's whole-number parameters;
here, in the lowest layer that reads users' JSON, so that each of them can import it).

pydantic's default (lax) ``int`` also takes ``"3"`` and ``true``; its strict ``int`` refuses
``3.0``, which JSON Schema counts as an integer (a number whose fraction is zero, and which
schemathesis sends for ``integer``). A request field documented as ``integer`` is written

    Annotated[int, Strict(), Field(ge=1, le=1000), JSON_INTEGER]

so that ``3`` and ``3.0`` are 3 and ``3.5``, ``"3"`` and ``true`` are refused with pydantic's
ordinary error. The bounds stand *before* :data:`JSON_INTEGER`: after a validator pydantic
cannot state them as ``minimum``/``maximum`` in the OpenAPI document. Numbers and booleans
need no helper: ``Field(strict=True)`` (a strict float accepts a JSON integer; a strict bool
only ``true`` and ``false``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BeforeValidator

__all__ = ["JSON_INTEGER", "integral_float_as_int"]


def integral_float_as_int(value: Any) -> Any:
    """``3.0`` as ``3`` (JSON Schema's integer); anything else as it is, for the strict check."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


#: The last metadata of an ``Annotated[int, Strict(), …]`` request field: a float whose fraction
#: is zero is that integer.
JSON_INTEGER = BeforeValidator(integral_float_as_int)
