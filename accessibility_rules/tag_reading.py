"""How the composite tag rules read one key of a tag dict: never raising, counting what they drop.

A value a parser of :mod:`accessibility_rules.tag_values` cannot read becomes the unknown state
and is counted in a ``Counter`` keyed by the tag key (:func:`read_tag`), so the coverage report
can say how much data was dropped. Also here: the readings the way rules
(:mod:`accessibility_rules.way_rules`) and the node rules (:mod:`accessibility_rules.node_rules`)
share, a kerb's kind and height with their source, a crossing's island, and whether a
pedestrian may pass a barrier.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from accessibility_rules.attributes import ASSUMED_KERB_HEIGHT_CM, KerbHeightSource, KerbKind, Tri
from accessibility_rules.tag_values import (
    NOT_BARRIER_VALUES,
    MalformedTagError,
    kerb_kind_from_height,
    parse_yes_no,
)

__all__ = [
    "barrier_access",
    "crossing_island",
    "kerb_state",
    "read_first",
    "read_tag",
    "tag_value",
    "tri",
    "worse_kerb",
]

_T = TypeVar("_T")


_BARRIER_PASS = frozenset({"yes", "designated", "permissive", "destination", "customers"})
_BARRIER_NO_PASS = frozenset({"no", "private"})


def barrier_access(tags: Mapping[str, str]) -> Tri:
    """Whether a pedestrian may pass a barrier node, from its ``foot`` tag, else ``access``.

    The more specific key wins, as everywhere in OSM's access rules: ``foot=yes`` opens a gate
    tagged ``access=no``. ``yes|designated|permissive|destination|customers`` → YES; ``no`` and
    ``private`` → NO; anything else, or neither key → UNKNOWN. Only barrier nodes get a value
    (other nodes: UNKNOWN), so an ``access`` tag alone keeps no node through simplification.
    """
    if tag_value(tags, "barrier") in ("", *NOT_BARRIER_VALUES):
        return Tri.UNKNOWN
    for key in ("foot", "access"):
        word = tag_value(tags, key)
        if word in _BARRIER_PASS:
            return Tri.YES
        if word in _BARRIER_NO_PASS:
            return Tri.NO
    return Tri.UNKNOWN


def read_tag(
    tags: Mapping[str, str],
    key: str,
    parser: Callable[..., _T],
    malformed: Counter[str],
) -> _T | None:
    """Parse ``tags[key]`` with ``parser``; None when absent, and counted when malformed."""
    raw = tags.get(key)
    if raw is None:
        return None
    try:
        return parser(raw, key=key)
    except MalformedTagError:
        malformed[key] += 1
        return None


def read_first(
    tags: Mapping[str, str],
    keys: Iterable[str],
    parser: Callable[..., _T],
    malformed: Counter[str],
) -> _T | None:
    """The first of ``keys`` that is present and readable (later keys are fallbacks)."""
    for key in keys:
        result = read_tag(tags, key, parser, malformed)
        if result is not None:
            return result
    return None


def tag_value(tags: Mapping[str, str], key: str) -> str:
    """The normalised (stripped, lower-case) value of ``key``, or "" when absent."""
    return tags.get(key, "").strip().lower()


#: Kerbs ordered from best to worst for wheels. An UNKNOWN kerb may be anything up to raised, so
#: it ranks below RAISED (known worst) but above every known lower kerb.
_KERB_BADNESS: dict[KerbKind, int] = {
    KerbKind.NONE: 0,
    KerbKind.FLUSH: 1,
    KerbKind.LOWERED: 2,
    KerbKind.ROLLED: 3,
    KerbKind.UNKNOWN: 4,
    KerbKind.RAISED: 5,
}


def worse_kerb(kinds: list[KerbKind]) -> KerbKind:
    """The worst of several kerb kinds (see :data:`_KERB_BADNESS`)."""
    return max(kinds, key=_KERB_BADNESS.__getitem__)


def kerb_state(
    kind: KerbKind | None, height_cm: float | None
) -> tuple[KerbKind, float | None, KerbHeightSource]:
    """Combine a tagged kerb kind and a tagged height into (kind, height, source).

    A tagged height wins (source TAG) and gives the kind unless a definite kind was tagged; a
    kind alone gets its :data:`ASSUMED_KERB_HEIGHT_CM` (source DERIVED) when it has one.
    """
    if height_cm is not None:
        if kind is None or kind not in ASSUMED_KERB_HEIGHT_CM:
            kind = kerb_kind_from_height(height_cm)
        return kind, height_cm, KerbHeightSource.TAG
    if kind is None:
        return KerbKind.NONE, None, KerbHeightSource.UNKNOWN
    assumed = ASSUMED_KERB_HEIGHT_CM.get(kind)
    source = KerbHeightSource.UNKNOWN if assumed is None else KerbHeightSource.DERIVED
    return kind, assumed, source


def tri(value: Tri | None) -> Tri:
    """None → Tri.UNKNOWN."""
    return Tri.UNKNOWN if value is None else value


def crossing_island(tags: Mapping[str, str], malformed: Counter[str]) -> Tri:
    """``crossing:island=yes|no``, else ``crossing=island`` (the older tagging, which says
    there is an island but not how the road is crossed): yes; else unknown."""
    island = read_tag(tags, "crossing:island", parse_yes_no, malformed)
    if island is not None:
        return island
    kinds = [v.strip() for v in tags.get("crossing", "").lower().split(";")]
    return Tri.YES if "island" in kinds else Tri.UNKNOWN
