"""Personal profiles made once per preset and parameters, then handed out again.

Every user of the app states their own limits, so most route requests name a preset *and*
parameters; :func:`~accessibility_rules.profile.make_profile` validates them into a new frozen
profile each time (39 µs, some 5 % of such an answer, measured 2026-12-07). The same user sends
the same parameters request after request: :func:`made_profile` keeps the profiles of the last
:data:`MADE_PROFILES_MAX` preset-and-parameter sets and returns the same object for the same
set, which the caches keyed by a profile's identity downstream (the verdict plan of
:mod:`routing.report`) then also find.

The key tells values apart as the validation does: by type as well as value (``1``, ``1.0`` and
``True`` hash alike in Python, and the profile echoes ``1.0`` or ``1`` as given), floats by
their ``repr`` (``-0.0`` is not ``0.0`` in the echo; a NaN, rejected anyway, never matches).
Parameters that are not numbers, strings, booleans, ``None``, lists or tables of them are not
cached. A request refused by the validation is not cached either: it raises every time.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from typing import Any

from accessibility_rules.profile import Profile, make_profile

__all__ = ["MADE_PROFILES_MAX", "made_profile"]

#: Preset-and-parameter sets kept (each profile ~7.4 kB); when full, the cache starts afresh.
MADE_PROFILES_MAX = 64

_made: dict[Hashable, Profile] = {}
_lock = threading.Lock()


class _UnkeyableError(Exception):
    """A parameter value the key cannot hold."""


def _typed(value: Any) -> Hashable:
    if value is None or isinstance(value, (bool, int, str)):
        return (type(value).__name__, value)
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_typed(v) for v in value))
    if isinstance(value, Mapping):
        return ("table", tuple(sorted((str(k), _typed(v)) for k, v in value.items())))
    raise _UnkeyableError


def made_profile(preset: str, overrides: Mapping[str, Any]) -> Profile:
    """``make_profile(preset, overrides)``, the same object again for the same preset and
    parameters (see the module doc); raises as ``make_profile`` does."""
    try:
        key = (preset, _typed(dict(overrides)))
    except _UnkeyableError:
        return make_profile(preset, dict(overrides))
    found = _made.get(key)
    if found is None:
        found = make_profile(preset, dict(overrides))
        with _lock:
            if len(_made) >= MADE_PROFILES_MAX:
                _made.clear()
            _made[key] = found
    return found
