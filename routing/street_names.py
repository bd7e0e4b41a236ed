"""A way's words: German street names with their article, and the phrases of a way a step
turns onto (:class:`Way`), for :mod:`routing.wording` and the spoken steps.

German street names take an article chosen by their type word (``-straße`` → *die*, ``-weg`` →
*der*, ``-tal`` → *das*, see :data:`GENDER_SUFFIXES`). Names that begin with a preposition ("Am
Altenhof", "An der Feuerwache", "Im Busch", "Zum Bahnhof") keep their own preposition and take no
article. A name without a type word ("23er Kaserner") is named with the kind of way it is: "die
Straße 23er Kaserner", "der Weg …".
"""

from __future__ import annotations

import functools
from typing import Literal

from routing.wording import Language

Gender = Literal["f", "m", "n"]

__all__ = [
    "GENDER_SUFFIXES",
    "PREPOSITIONS",
    "Gender",
    "Way",
    "gender",
    "street_with_article",
]

#: Last-word endings of German street names and the gender of the type word they end in
#: (the longest matching ending wins: "Dunkeltälchen" is *das* by "-chen", not *das/der* by "-en").
GENDER_SUFFIXES: dict[str, Gender] = {
    **dict.fromkeys(
        [
            "straße",
            "strasse",
            "str.",
            "gasse",
            "gass",
            "allee",
            "chaussee",
            "promenade",
            "brücke",
            "steige",
            "stiege",
            "zeile",
            "passage",
            "treppe",
            "mauer",
            "siedlung",
            "ung",
            "höhe",
            "halde",
            "aue",
            "bahn",
            "schanze",
            "anlage",
            "anlagen",
            "terrasse",
            "kehre",
            "insel",
            "mühle",
            "wiese",
            "hohl",
            "gleis",
            "rampe",
            "unterführung",
            "überführung",
            "zone",
            "achse",
        ],
        "f",
    ),
    **dict.fromkeys(
        [
            "weg",
            "platz",
            "ring",
            "damm",
            "pfad",
            "steig",
            "markt",
            "graben",
            "berg",
            "hof",
            "wall",
            "park",
            "garten",
            "kamp",
            "stieg",
            "anger",
            "gang",
            "deich",
            "winkel",
            "bogen",
            "korso",
            "tunnel",
            "steg",
            "wald",
            "weiher",
            "rain",
            "grund",
            "hang",
            "kreisel",
            "stein",
            "buckel",
            "acker",
            "bühl",
            "hübel",
            "rück",
            "kopf",
            "blick",
            "busch",
            "horst",
            "bahnsteig",
            "durchgang",
            "boulevard",
            "kai",
        ],
        "m",
    ),
    **dict.fromkeys(
        [
            "ufer",
            "tor",
            "feld",
            "eck",
            "viertel",
            "tal",
            "chen",
            "gelände",
            "zentrum",
            "center",
            "werk",
            "dreieck",
            "haus",
            "heim",
            "gässle",
            "gut",
            "land",
        ],
        "n",
    ),
}

#: First words of names that are a prepositional phrase themselves ("Am Altenhof").
PREPOSITIONS = frozenset(
    [
        "am",
        "an",
        "auf",
        "im",
        "in",
        "zum",
        "zur",
        "unter",
        "hinter",
        "vor",
        "bei",
        "beim",
        "über",
        "neben",
        "zwischen",
        "gegenüber",
        "hinterm",
        "vorm",
        "ans",
        "ins",
        "aufm",
        "übern",
        "unterm",
    ]
)

#: Adjectives that open street names and are inflected after an article ("Alter Friedhof" →
#: "auf dem Alten Friedhof"). Place adjectives in ``-er`` ("Pirmasenser") are never inflected.
_ADJECTIVE_STEMS = frozenset(
    [
        "alt",
        "neu",
        "groß",
        "gross",
        "klein",
        "hoh",
        "lang",
        "kurz",
        "breit",
        "schmal",
        "ober",
        "unter",
        "hinter",
        "vorder",
        "mittler",
        "nieder",
        "grün",
        "rot",
        "weiß",
        "weiss",
        "schwarz",
        "still",
        "schön",
        "krumm",
        "tief",
        "heilig",
        "dürr",
        "jung",
        "hell",
        "dunkel",
    ]
)

_ARTICLES: dict[str, dict[Gender, str]] = {
    "nom": {"f": "die", "m": "der", "n": "das"},
    "acc": {"f": "die", "m": "den", "n": "das"},
    "dat": {"f": "der", "m": "dem", "n": "dem"},
    "gen": {"f": "der", "m": "des", "n": "des"},
}

#: Unnamed ways by kind: (German noun, gender, English noun). Roads fall back to "Straße".
_KINDS: dict[str, tuple[str, Gender, str]] = {
    "footway": ("Fußweg", "m", "footpath"),
    "path": ("Weg", "m", "path"),
    "pedestrian": ("Fußgängerzone", "f", "pedestrian zone"),
    "living_street": ("verkehrsberuhigte Straße", "f", "living street"),
    "service": ("Zufahrt", "f", "service road"),
    "steps": ("Treppe", "f", "steps"),
    "cycleway": ("Radweg", "m", "cycle path"),
    "track": ("Feldweg", "m", "track"),
    "bridleway": ("Reitweg", "m", "bridleway"),
    "platform": ("Bahnsteig", "m", "platform"),
    "elevator": ("Aufzug", "m", "elevator"),
    "corridor": ("Gang", "m", "corridor"),
}
_ROAD: tuple[str, Gender, str] = ("Straße", "f", "street")
_SIDEWALK: tuple[str, Gender, str] = ("Gehweg", "m", "sidewalk")
_PATHS = frozenset({"footway", "path", "cycleway", "track", "bridleway", "steps", "corridor"})


@functools.lru_cache(maxsize=4096)
def gender(name: str) -> Gender | None:
    """The grammatical gender of a German street name's type word (None: no type word).

    Cached (a pure function of the name; a city has a few thousand names): the suffix table
    is scanned once per name, not once per instruction."""
    words = name.split()
    if not words or words[0].lower() in PREPOSITIONS:
        return None
    candidates = [words[-1].lower()]
    if len(words) > 1:
        candidates.append(words[0].lower())  # "Straße des 17. Juni", "Platz der Republik"
    for word in candidates:
        word = word.split("-")[-1] or word
        best = max((s for s in GENDER_SUFFIXES if word.endswith(s)), key=len, default=None)
        if best is not None:
            return GENDER_SUFFIXES[best]
    return None


def _inflect(name: str, g: Gender, case: str) -> str:
    """``name`` after a definite article in ``case`` (weak adjective ending, genitive -s)."""
    words = name.split()
    first = words[0]
    strong = {"m": "er", "f": "e", "n": "es"}[g]
    if len(words) > 1 and first.lower().endswith(strong):
        stem = first[: -len(strong)]
        if stem.lower() in _ADJECTIVE_STEMS:
            weak = "e" if case == "nom" or (case == "acc" and g != "m") else "en"
            words[0] = stem + weak
    if case == "gen" and g != "f":
        last = words[-1]
        words[-1] = last + ("es" if last[-1:].lower() in "sßxz" else "s")
    return " ".join(words)


@functools.lru_cache(maxsize=8192)
def street_with_article(
    name: str, case: str, *, fallback: tuple[str, Gender] = ("Straße", "f")
) -> str:
    """``name`` with its German article in ``case`` (nom, acc, dat, gen), e.g. "der
    Pirmasenser Straße", "den Alten Friedhof"; a prepositional name stays as it is ("Am
    Altenhof"); a name without a type word is led by ``fallback``'s noun ("die Straße 23er
    Kaserner")."""
    words = name.split()
    if words and words[0].lower() in PREPOSITIONS:
        return name
    g = gender(name)
    if g is None:
        noun, g = fallback
        return f"{_ARTICLES[case][g]} {noun} {name}"
    return f"{_ARTICLES[case][g]} {_inflect(name, g, case)}"


class Way:
    """What a person is told about one way of the route: its name, or its kind and the street
    it runs beside (a sidewalk borrows the nearest road's name in the graph)."""

    __slots__ = ("highway", "is_sidewalk", "name")

    def __init__(self, name: str | None, highway: str, is_sidewalk: bool) -> None:
        self.name = name or None
        self.highway = highway
        self.is_sidewalk = is_sidewalk

    def key(self) -> tuple[str | None, str, bool]:
        """Ways with equal keys are worded alike."""
        if self.name and not self.is_sidewalk:
            return (self.name, "", False)
        return (self.name, (self.is_sidewalk and "sidewalk") or self._kind_key(), self.is_sidewalk)

    def _kind_key(self) -> str:
        return self.highway if self.highway in _KINDS else "road"

    def _noun(self) -> tuple[str, Gender, str]:
        if self.is_sidewalk:
            return _SIDEWALK
        return _KINDS.get(self.highway, _ROAD)

    def _fallback(self) -> tuple[str, Gender]:
        return ("Weg", "m") if self.highway in _PATHS else ("Straße", "f")

    def german(self, case: str) -> str:
        """The way with its article in ``case``: "die Bremerstraße", "den Gehweg entlang der
        Pirmasenser Straße", "dem Fußweg", "Am Altenhof" (a prepositional name alone)."""
        if self.name and not self.is_sidewalk:
            return street_with_article(self.name, case, fallback=self._fallback())
        noun, g, _ = self._noun()
        art = _ARTICLES[case][g]
        if case != "nom" and g == "f" and noun.startswith("verkehrsberuhigte"):
            noun = "verkehrsberuhigten Straße" if case in ("dat", "gen") else noun
        text = f"{art} {noun}"
        if self.name:
            if self.name.split()[0].lower() in PREPOSITIONS:
                return f"{text} {self.name}"
            return f"{text} entlang {street_with_article(self.name, 'gen')}"
        return text

    def english(self) -> str:
        """ "Bremerstraße", "the sidewalk along Pirmasenser Straße", "the footpath"."""
        if self.name and not self.is_sidewalk:
            return self.name
        text = f"the {self._noun()[2]}"
        return f"{text} along {self.name}" if self.name else text

    def on(self, lang: Language) -> str:
        """Where one is: "auf der Bremerstraße", "Am Altenhof", "on the footpath"."""
        if lang == "en":
            return f"on {self.english()}"
        if self.name and not self.is_sidewalk and self.name.split()[0].lower() in PREPOSITIONS:
            return self.name
        return f"auf {self.german('dat')}"

    def into(self, lang: Language) -> str:
        """Where one turns: "in die Bremerstraße", "auf den Gehweg …", ", weiter Am Altenhof"."""
        if lang == "en":
            return f"onto {self.english()}"
        if self.name and not self.is_sidewalk:
            if self.name.split()[0].lower() in PREPOSITIONS:
                return f"weiter {self.name}"
            g = gender(self.name)
            last = self.name.split()[-1].lower()
            square = last.endswith(("platz", "markt", "anlage", "anlagen", "brücke"))
            return (
                f"{'auf' if square else 'in'} {self.german('acc')}"
                if g
                else f"in {self.german('acc')}"
            )
        return f"auf {self.german('acc')}"
