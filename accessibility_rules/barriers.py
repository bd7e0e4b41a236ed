"""Who can pass which barrier: the passability table and the per-edge masks the weights use.

The table is data, ``accessibility_rules/barriers.csv``: one row per ``barrier=*`` value of the
OSM wiki (plus values seen in the shared extracts), with ``yes`` / ``no`` / ``unknown`` for each
:class:`~accessibility_rules.attributes.Mobility` class and the source of the judgement. It is
read once, validated by pydantic (:class:`BarrierRow`) and checked against
:class:`~accessibility_rules.attributes.BarrierKind`: every member has exactly one row and every
row names a member. Nothing in the code depends on a particular value.

Rules (the node's own tags override the table, the more specific key winning, as in OSM's
access rules):

1. The row of the node's barrier kind gives the class's passability. ``barrier=yes`` and any
   value not in the table are the row ``yes``: *unknown* for everyone, never passable by
   default; the profile's ``unknown.barrier`` policy accepts, penalises or forbids it like any
   other unknown fact at a point.
2. ``access=no|private`` (without a permitting ``foot``) or ``foot=no|private`` blocks every
   class; ``foot`` or ``access`` = ``yes|designated|permissive|destination|customers`` makes it
   passable on foot (classes ``foot`` and ``blind``). Both are the node's ``barrier_access``.
3. For the wheel classes (``wheelchair``, ``wheeled``) the node's ``wheelchair`` tag decides
   last: ``yes``/``designated`` → passable (a rollator or pram gets through where a wheelchair
   does), ``no`` → blocked, ``limited`` → unknown. It beats ``access=no``: a more specific key.

A profile's ``avoid_barriers`` is an *extra* list of kinds that profile refuses whatever the
table says (the elderly preset refuses stiles).
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources
from typing import Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from accessibility_rules.attributes import BarrierKind, Mobility, Tri, Wheelchair
from accessibility_rules.effective import EffectiveEdges

__all__ = [
    "BarrierMasks",
    "BarrierRow",
    "barrier_masks",
    "barrier_table",
    "passability",
]

TABLE_FILE = "barriers.csv"
#: The table's row for an unspecified barrier; every value not in the table is read as it.
UNSPECIFIED_VALUE = "yes"

Passage = Literal["yes", "no", "unknown"]
_TRI: dict[str, Tri] = {"yes": Tri.YES, "no": Tri.NO, "unknown": Tri.UNKNOWN}


class BarrierRow(BaseModel):
    """One row of the passability table."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: str = Field(pattern=r"^[a-z0-9_:\-]+$", description="The OSM barrier=* value.")
    foot: Passage
    wheelchair: Passage
    wheeled: Passage
    blind: Passage
    source: str = Field(min_length=8, description="Where the judgement comes from, and why.")

    @property
    def kind(self) -> BarrierKind:
        """The :class:`BarrierKind` member this row describes."""
        if self.value == UNSPECIFIED_VALUE:
            return BarrierKind.UNKNOWN
        return BarrierKind[self.value.replace("-", "_").upper()]

    def passage(self, mobility: Mobility) -> Tri:
        """Whether a person of ``mobility`` can pass (YES), cannot (NO) or it depends."""
        return _TRI[getattr(self, mobility.value)]


class BarrierTableError(ValueError):
    """The passability table is broken: a bad row, a duplicate, or a kind without a row."""


def _parse(text: str) -> dict[BarrierKind, BarrierRow]:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows: dict[BarrierKind, BarrierRow] = {}
    for number, record in enumerate(
        csv.DictReader(io.StringIO("\n".join(lines)), restkey="unexpected_columns"), start=2
    ):
        row = BarrierRow.model_validate(record)
        try:
            kind = row.kind
        except KeyError:
            raise BarrierTableError(
                f"{TABLE_FILE} row {number}: {row.value!r} is no BarrierKind member"
            ) from None
        if kind in rows:
            raise BarrierTableError(f"{TABLE_FILE} row {number}: {row.value!r} is listed twice")
        rows[kind] = row
    missing = sorted(k.name for k in BarrierKind if k is not BarrierKind.NONE and k not in rows)
    if missing:
        raise BarrierTableError(f"{TABLE_FILE} has no row for {', '.join(missing)}")
    return rows


@functools.cache
def barrier_table() -> dict[BarrierKind, BarrierRow]:
    """The validated passability table, by kind (read once per process).

    Raises
    ------
    BarrierTableError, pydantic.ValidationError
        The file is broken.
    """
    text = resources.files("accessibility_rules").joinpath(TABLE_FILE).read_text("utf-8")
    return _parse(text)


@functools.cache
def passability(mobility: Mobility) -> np.ndarray:
    """Lookup array ``int8`` Tri of the table's column ``mobility``, indexed by ``code + 1``.

    Index 0 is BarrierKind.UNKNOWN (-1); NONE (0, no barrier) is passable.
    """
    table = barrier_table()
    out = np.full(max(int(k) for k in BarrierKind) + 2, Tri.YES, dtype=np.int8)
    for kind, row in table.items():
        out[int(kind) + 1] = row.passage(mobility)
    out.setflags(write=False)
    return out


class BarrierMasks(NamedTuple):
    """Per edge, for the barrier at its head node: cannot pass, and passability unknown."""

    blocked: np.ndarray  # bool
    unknown: np.ndarray  # bool


_WHEELS = (Mobility.WHEELCHAIR, Mobility.WHEELED)


def barrier_masks(
    mobility: Mobility, eff: EffectiveEdges, extra: frozenset[str] = frozenset()
) -> BarrierMasks:
    """Which edges lead into a barrier that ``mobility`` cannot pass, or may not (module rules).

    ``extra`` are lower-case :class:`BarrierKind` names that are blocked in any case (a
    profile's ``avoid_barriers``).
    """
    barrier = eff.barrier.astype(np.int64)
    state = passability(mobility)[barrier + 1].astype(np.int8)
    n = len(barrier)
    unknown_tri = np.full(n, Tri.UNKNOWN, dtype=np.int8)
    access = unknown_tri if eff.barrier_access is None else eff.barrier_access
    wheelchair = unknown_tri if eff.barrier_wheelchair is None else eff.barrier_wheelchair
    has_barrier = barrier != BarrierKind.NONE
    if mobility in _WHEELS:
        state = np.where(access == Tri.NO, Tri.NO, state)
        state = np.where(
            np.isin(wheelchair, [Wheelchair.YES, Wheelchair.DESIGNATED]), Tri.YES, state
        )
        state = np.where(wheelchair == Wheelchair.NO, Tri.NO, state)
        state = np.where(wheelchair == Wheelchair.LIMITED, Tri.UNKNOWN, state)
    else:
        state = np.where(access == Tri.YES, Tri.YES, np.where(access == Tri.NO, Tri.NO, state))
    state = np.where(has_barrier, state, Tri.YES)
    if extra:
        state = np.where(np.isin(barrier, [int(BarrierKind[x.upper()]) for x in extra]), Tri.NO, state)  # fmt: skip
    return BarrierMasks(blocked=state == Tri.NO, unknown=state == Tri.UNKNOWN)
