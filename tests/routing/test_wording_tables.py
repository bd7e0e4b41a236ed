"""Every barrier and every surface a step can name has its words, in German and in English.

A step named a barrier or a surface by its raw OSM value where the table lacked it: on 100
seeded Neukölln wheelchair routes avoiding every surface but a few, "Untergrund paving_stones"
(227 times), "Untergrund asphalt", "Untergrund concrete", "Untergrund compacted" and "Hindernis:
rock" were said in German.
"""

from __future__ import annotations

import pytest

from accessibility_rules.attributes import BarrierKind, SurfaceClass
from routing.verdict import _LIMIT_ATTRIBUTE
from routing.wording import break_phrase, describe_barrier

BARRIERS = [k.name.lower() for k in BarrierKind if k is not BarrierKind.NONE]
SURFACES = [s.name.lower() for s in SurfaceClass if s is not SurfaceClass.UNKNOWN]


@pytest.mark.parametrize("barrier", BARRIERS)
def test_every_barrier_is_named_in_words(barrier: str) -> None:
    de = describe_barrier("barrier", {"barrier": barrier}, "de")
    en = describe_barrier("barrier", {"barrier": barrier}, "en")
    assert de.startswith("Hindernis: ")
    assert en.startswith("obstacle: ")
    for text in (de, en):
        assert "_" not in text, text
    raw = {barrier, barrier.replace("_", " ")}
    assert de.removeprefix("Hindernis: ") not in raw, de  # a German word, not the OSM value
    broken = break_phrase({"limit": "barrier", "value": barrier, "at_m": 10.0}, "de")
    assert not any(f"({r};" in broken or f"({r})" in broken for r in raw), broken


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_is_named_in_words(surface: str) -> None:
    de = describe_barrier("surface", {"surface": surface, "length_m": 20.0}, "de")
    en = describe_barrier("surface", {"surface": surface, "length_m": 20.0}, "en")
    assert de.startswith("Untergrund ")
    assert de.endswith(" auf 20 m")
    for text in (de, en):
        assert "_" not in text, text
    name = de.removeprefix("Untergrund ").removesuffix(" auf 20 m")
    assert name not in {surface, surface.replace("_", " ")}, de


def test_the_words_are_the_ones_a_person_knows() -> None:
    def said(kind: str, key: str, value: str) -> str:
        return describe_barrier(kind, {key: value, "length_m": 70.0}, "de")

    assert said("barrier", "barrier", "rock") == "Hindernis: Felsbrocken"
    assert said("barrier", "barrier", "unknown") == "Hindernis: nicht näher bezeichnet"
    assert said("surface", "surface", "paving_stones") == "Untergrund Verbundpflaster auf 70 m"
    assert said("surface", "surface", "sett") == "Untergrund Pflaster auf 70 m"
    assert describe_barrier("barrier", {"barrier": "unknown"}, "en") == "obstacle: unspecified"


#: Every limit a route can break: the report's (``routing.verdict._LIMIT_ATTRIBUTE``, named as its
#: breaks name them), an unknown the profile forbids, and the rests' (``rest_walks.with_rests``).
LIMITS = [
    *(limit.name.lower() for limit in _LIMIT_ATTRIBUTE if limit.name),
    "unknown_forbidden",
    "rests",
]


@pytest.mark.parametrize("limit", LIMITS)
def test_every_broken_limit_is_named_in_words(limit: str) -> None:
    """An elderly route too long between seats closed with "Die Route ist nicht barrierefrei:
    rests (824,70 m; Grenze 300,00 m) bei 490 m": the limit's name in English, its metres
    to the centimetre."""
    de = break_phrase({"limit": limit, "at_m": 10.0}, "de")
    assert not de.startswith((limit, limit.replace("_", " "))), de  # a German noun
    for text in (de, break_phrase({"limit": limit, "at_m": 10.0}, "en")):
        assert "_" not in text, text


def test_a_stretch_without_a_seat_in_whole_metres_from_where_it_begins() -> None:
    brk = {"limit": "rests", "attribute": "seat", "at_m": 490.2, "value": 824.7, "unit": "m",
           "limit_value": 300.0}  # fmt: skip
    assert break_phrase(brk, "de") == (
        "Strecke ohne Sitzgelegenheit (825 m; Grenze 300 m) ab 490 m"
    )
    assert break_phrase(brk, "en") == "stretch without a seat (825 m; limit 300 m) from 490 m"
    assert break_phrase({**brk, "at_m": 0.0}, "de").endswith("ab dem Start")
    width = {"limit": "width", "at_m": 10.0, "value": 0.85, "unit": "m", "limit_value": 0.9}
    assert break_phrase(width, "de") == "Engstelle (0,85 m; Grenze 0,90 m) bei 10 m"
