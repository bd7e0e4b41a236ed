"""Pollen seasons as data: the checked-in table ``pollen_seasons.csv`` and the day's intensity.

The table names, per taxon, the months of the main and the side season in Germany (after the
Pollenflugkalender of the Stiftung Deutscher Polleninformationsdienst, see the file's header), the
graph column that measures how much of it an edge meets, and the taxon's key in the pollen forecast
of the Deutscher Wetterdienst (DWD). It is validated by pydantic when first read: every taxon of
:data:`POLLEN_TAXA` exactly once, months 1–12, main and side seasons disjoint, a known exposure.

**The intensity rule.** On the DWD scale 0–3 (0 none, 1 low, 2 medium, 3 high): a month of the
main season gives :data:`MAIN_SEASON_INTENSITY` (3), a month of the side season
:data:`SIDE_SEASON_INTENSITY` (1), any other month 0. A request may give the day's forecast per
taxon instead (:func:`parse_forecast`); the DWD's half steps ``"0-1"``, ``"1-2"``, ``"2-3"`` read as
0.5, 1.5 and 2.5, and a forecast value overrides the table for its taxon only.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
from collections.abc import Mapping
from importlib import resources
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "MAIN_SEASON_INTENSITY",
    "POLLEN_TAXA",
    "SIDE_SEASON_INTENSITY",
    "TREE_TAXA",
    "PollenSeason",
    "PollenTaxon",
    "parse_forecast",
    "season_intensity",
    "seasons",
]  # fmt: skip

#: The taxa a profile can avoid (``avoid_pollen``): six tree genera, grasses and two herbs.
PollenTaxon = Literal[
    "corylus", "alnus", "betula", "fraxinus", "quercus", "tilia", "grasses", "mugwort", "ambrosia"
]
POLLEN_TAXA: tuple[str, ...] = get_args(PollenTaxon)
#: The taxa whose exposure is a tree count per edge (graph columns ``trees_<taxon>``).
TREE_TAXA: tuple[str, ...] = ("corylus", "alnus", "betula", "fraxinus", "quercus", "tilia")

MAIN_SEASON_INTENSITY = 3.0
SIDE_SEASON_INTENSITY = 1.0
#: The DWD forecast's values (its JSON spells them as strings) on the scale 0–3.
_DWD_VALUES = {
    "0": 0.0, "0-1": 0.5, "1": 1.0, "1-2": 1.5, "2": 2.0, "2-3": 2.5, "3": 3.0,
}  # fmt: skip
#: DWD forecast keys that are not a taxon of the table but fold into one (rye is a grass).
_DWD_ALIASES = {"Roggen": "grasses"}


class PollenSeason(BaseModel):
    """One row of ``pollen_seasons.csv``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    taxon: PollenTaxon
    genus: str = Field(min_length=1, description="Botanical genus (or family for grasses).")
    label_de: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    exposure: str = Field(
        pattern=r"^(trees_[a-z]+|grass_share|none)$",
        description="Graph column measuring what an edge meets; none = not mapped (unknown).",
    )
    dwd_name: str | None = Field(description="Key in the DWD pollen forecast, if it has one.")
    main_months: frozenset[int] = Field(min_length=1)
    side_months: frozenset[int]

    @field_validator("dwd_name", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("main_months", "side_months", mode="before")
    @classmethod
    def _months(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(m) for m in value.split())
        return value

    @model_validator(mode="after")
    def _check(self) -> PollenSeason:
        months = self.main_months | self.side_months
        if any(not 1 <= m <= 12 for m in months):
            raise ValueError(f"{self.taxon}: months must be 1-12, got {sorted(months)}")
        if self.main_months & self.side_months:
            raise ValueError(f"{self.taxon}: a month is both main and side season")
        tree = self.taxon in TREE_TAXA
        if tree != (self.exposure == f"trees_{self.taxon}"):
            raise ValueError(f"{self.taxon}: exposure must be trees_<taxon> exactly for trees")
        return self

    def season(self, month: int) -> Literal["main", "side", "none"]:
        """Whether ``month`` (1–12) is in the taxon's main or side season, or neither."""
        if month in self.main_months:
            return "main"
        return "side" if month in self.side_months else "none"

    def intensity(self, month: int) -> float:
        """The table's intensity (0–3) in ``month`` (1–12)."""
        if month in self.main_months:
            return MAIN_SEASON_INTENSITY
        return SIDE_SEASON_INTENSITY if month in self.side_months else 0.0


def parse_seasons(text: str) -> dict[str, PollenSeason]:
    """Read and validate a season table (CSV, ``#`` lines are comments), keyed by taxon.

    Raises ``ValueError`` (pydantic's ``ValidationError`` is one) on a bad row, a taxon given twice
    or missing.
    """
    lines = [line for line in io.StringIO(text) if not line.lstrip().startswith("#")]
    rows = [PollenSeason.model_validate(row) for row in csv.DictReader(lines)]
    table: dict[str, PollenSeason] = {row.taxon: row for row in rows}
    if len(table) != len(rows) or set(table) != set(POLLEN_TAXA):
        raise ValueError(
            f"the pollen season table must list every taxon of {POLLEN_TAXA} exactly once, "
            f"got {[r.taxon for r in rows]}"
        )
    return {taxon: table[taxon] for taxon in POLLEN_TAXA}


@functools.cache
def seasons() -> dict[str, PollenSeason]:
    """The checked-in table ``accessibility_rules/pollen_seasons.csv`` (read once), by taxon."""
    text = resources.files("accessibility_rules").joinpath("pollen_seasons.csv").read_text("utf-8")
    return parse_seasons(text)


def season_intensity(taxon: str, day: dt.date) -> float:
    """The table's intensity of ``taxon`` on ``day`` (0, 1 or 3; see the module's rule)."""
    return seasons()[taxon].intensity(day.month)


def _forecast_value(key: str, value: object) -> float:
    if isinstance(value, str) and value.strip() in _DWD_VALUES:
        return _DWD_VALUES[value.strip()]
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and 0 <= number <= 3 and (number * 2).is_integer():
            return number
    raise ValueError(
        f"pollen intensity of {key!r} must be 0-3 in half steps (0, 0.5, ..., 3) or a DWD value "
        f"({', '.join(_DWD_VALUES)}), got {value!r}"
    )


@functools.cache
def _by_dwd_name() -> dict[str, str]:
    """The taxa by the DWD forecast's names (from :func:`seasons`, read once)."""
    return {s.dwd_name: s.taxon for s in seasons().values() if s.dwd_name}


def parse_forecast(forecast: Mapping[str, object]) -> dict[str, float]:
    """A day's intensity per taxon from a request, on the DWD scale 0–3, keyed by taxon.

    Keys are taxa (``"betula"``) or the DWD forecast's names (``"Birke"``, ``"Graeser"``;
    ``"Roggen"``, rye, counts for grasses, the larger value wins); values are numbers 0–3 in half
    steps or the DWD's strings (``"1-2"`` → 1.5). Raises ``ValueError`` for an unknown key or a
    value off the scale (never clamped).
    """
    if not forecast:  # most requests give none
        return {}
    by_dwd = _by_dwd_name()
    out: dict[str, float] = {}
    for key, value in forecast.items():
        taxon = key if key in POLLEN_TAXA else by_dwd.get(key) or _DWD_ALIASES.get(key)
        if taxon is None:
            known = [*POLLEN_TAXA, *by_dwd, *_DWD_ALIASES]
            raise ValueError(f"unknown pollen taxon {key!r}; known: {', '.join(known)}")
        out[taxon] = max(out.get(taxon, 0.0), _forecast_value(key, value))
    return out
