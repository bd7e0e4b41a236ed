"""Words for routes, in German and English: street phrases, barriers, limits, unknowns, verdicts.

Shared by the spoken instructions (:mod:`routing.instructions`) and the command-line summary
(:meth:`routing.route.Route.summary`). Nothing here imports :mod:`routing.route`: the functions
read plain values (a barrier's ``kind`` and ``details``, a verdict's JSON form), so both callers
can use them without an import cycle.

Street names and a way's phrases are :mod:`routing.street_names`' (which reads
:data:`Language` from here).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from accessibility_rules import registry

Language = Literal["de", "en"]

__all__ = [
    "SPAN_SAID_FROM_M",
    "Language",
    "accessibility_sentence",
    "attribute_label",
    "break_phrase",
    "describe_barrier",
    "describe_stretch",
    "end_short_phrase",
    "metres",
    "obstacle_phrase",
    "summary_text",
    "unknown_phrase",
    "verdict_of",
    "verdict_sentence",
    "within",
]


_WORDS = {
    "de": {
        "steps": "Treppe mit {n} {unit}", "steps_unknown": "Treppe (Anzahl der Stufen unbekannt)",
        "handrail_yes": "mit Handlauf", "handrail_no": "ohne Handlauf",
        "kerb": "Bordstein {kind} ({h})", "kerb_unknown": "Bordstein unbekannter Höhe",
        "kerbs": "{n} Bordsteine", "kerbs_alike": "{n} Bordsteine {kind} ({h})",
        "kerbs_unknown": "{n} Bordsteine unbekannter Höhe", "within": "auf den nächsten {d}",
        "kerbs_highest": "höchstens {kind} ({h})", "kerbs_some_unknown": "{u} davon unbekannter Höhe",
        "lowered": "abgesenkt", "raised": "hoch", "flush": "ebenerdig",
        "crossing_signals": "Ampel", "crossing_marked": "Zebrastreifen", "crossing_other": "Straßenquerung",
        "crossing_informal": "Straßenquerung ohne kartierten Überweg",
        "crossing_junction": "Kreuzung ohne kartierten Überweg",
        "acoustic": "akustischem Signal", "vibration": "Vibrationssignal", "tactile": "Bodenindikatoren",
        "island": "Mittelinsel",
        "acoustic_no": "akustisches Signal", "with": "mit", "without": "ohne", "and": "und",
        "steep_up": "Steigung {p} auf {d}", "steep_down": "Gefälle {p} auf {d}",
        "surface": "Untergrund {s} auf {d}", "narrow": "Engstelle, {w} breit",
        "surface_uneven": "Untergrund {s}, {u}, auf {d}", "uneven": "Belag {u} auf {d}",
        "barrier": "Hindernis: {b}", "elevator": "Aufzug", "estimated": "geschätzt",
        "at": "bei {d}", "caution": "Achtung: ",
    },
    "en": {
        "steps": "stairs with {n} {unit}", "steps_unknown": "stairs (number of steps unknown)",
        "handrail_yes": "with handrail", "handrail_no": "without handrail",
        "kerb": "kerb {kind} ({h})", "kerb_unknown": "kerb of unknown height",
        "kerbs": "{n} kerbs", "kerbs_alike": "{n} kerbs {kind} ({h})",
        "kerbs_unknown": "{n} kerbs of unknown height", "within": "within the next {d}",
        "kerbs_highest": "the highest {kind} ({h})", "kerbs_some_unknown": "{u} of unknown height",
        "lowered": "lowered", "raised": "raised", "flush": "flush",
        "crossing_signals": "traffic light", "crossing_marked": "zebra crossing", "crossing_other": "road crossing",
        "crossing_informal": "road crossing where no crossing is mapped",
        "crossing_junction": "junction where no crossing is mapped",
        "acoustic": "acoustic signal", "vibration": "vibration signal", "tactile": "tactile paving",
        "island": "a traffic island",
        "acoustic_no": "acoustic signal", "with": "with", "without": "without", "and": "and",
        "steep_up": "uphill {p} for {d}", "steep_down": "downhill {p} for {d}",
        "surface": "{s} surface for {d}", "narrow": "narrow passage, {w} wide",
        "surface_uneven": "{s} surface, {u}, for {d}", "uneven": "{u} surface for {d}",
        "barrier": "obstacle: {b}", "elevator": "elevator", "estimated": "estimated",
        "at": "at {d}", "caution": "Caution: ",
    },
}  # fmt: skip

#: "Stufen" / "Stufe" after a number of steps (by whether it is one): a step's flight and a
#: verdict's break.
_STEP_WORDS = {"de": ("Stufen", "Stufe"), "en": ("steps", "step")}

#: Every surface (:class:`~accessibility_rules.attributes.SurfaceClass` by its lower-case name)
#: as a step says it: a profile may avoid any of them, and each avoided one is said.
_SURFACES = {
    "de": {"asphalt": "Asphalt", "concrete": "Beton", "paving_stones": "Verbundpflaster",
           "paved": "befestigter Belag", "sett": "Pflaster", "cobblestone": "Kopfsteinpflaster",
           "compacted": "wassergebundene Decke", "fine_gravel": "Splitt", "gravel": "Schotter",
           "ground": "unbefestigt", "grass": "Rasen", "grass_paver": "Rasengitter", "wood": "Holz",
           "metal": "Metall", "unpaved": "unbefestigt", "other": "sonstiger Belag"},
    "en": {"asphalt": "asphalt", "concrete": "concrete", "paving_stones": "paving stones",
           "paved": "paved", "sett": "sett", "cobblestone": "cobblestone", "compacted": "compacted",
           "fine_gravel": "fine gravel", "gravel": "gravel", "ground": "unpaved", "grass": "grass",
           "grass_paver": "grass paver", "wood": "wood", "metal": "metal", "unpaved": "unpaved",
           "other": "other surface"},
}  # fmt: skip

#: Smoothness grades (:class:`~accessibility_rules.attributes.Smoothness` by its lower-case name)
#: as a step says them: from ``bad`` on always, better ones where the profile's
#: ``worst_smoothness`` is better still (OSM's scale: excellent for roller blades, good for
#: racing bikes, intermediate for city bikes and wheelchairs, bad for robust wheels, …).
_SMOOTHNESS = {
    "de": {"excellent": "sehr glatt", "good": "glatt", "intermediate": "leicht uneben",
           "bad": "uneben", "very_bad": "sehr uneben", "horrible": "holprig",
           "very_horrible": "sehr holprig", "impassable": "für Räder unpassierbar"},
    "en": {"excellent": "very smooth", "good": "smooth", "intermediate": "slightly uneven",
           "bad": "uneven", "very_bad": "very uneven", "horrible": "rough",
           "very_horrible": "very rough", "impassable": "impassable for wheels"},
}  # fmt: skip

#: Every barrier (:class:`~accessibility_rules.attributes.BarrierKind` by its lower-case name,
#: ``unknown`` for an unspecified ``barrier=yes``) as a step says it.
_BARRIERS = {
    "de": {"unknown": "nicht näher bezeichnet", "bollard": "Poller", "gate": "Tor",
           "lift_gate": "Schranke", "swing_gate": "Schwenktor", "stile": "Zaunübertritt",
           "turnstile": "Drehkreuz", "kissing_gate": "Drehkreuztor", "cycle_barrier": "Umlaufsperre",
           "block": "Steinblock", "chain": "Kette", "entrance": "Durchgang",
           "sliding_gate": "Schiebetor", "full_height_turnstile": "mannshohes Drehkreuz",
           "border_control": "Grenzkontrolle", "bump_gate": "Stoßtor", "bus_trap": "Busschleuse",
           "cattle_grid": "Viehgitter", "debris": "Schutt", "hampshire_gate": "Drahtgatter",
           "height_restrictor": "Höhenbegrenzung", "horse_stile": "Pferdesperre",
           "jersey_barrier": "Betonschutzwand", "log": "Baumstamm",
           "motorcycle_barrier": "Motorradsperre", "rope": "Seil", "sally_port": "Schleuse",
           "spikes": "Sperrkrallen", "sump_buster": "Aufsetzsperre", "toll_booth": "Mautstelle",
           "wicket_gate": "Schlupftür", "sliding_beam": "Schiebebalken", "planter": "Pflanzkübel",
           "tank_trap": "Panzersperre", "coupure": "Deichscharte", "cable_barrier": "Seilsperre",
           "city_wall": "Stadtmauer", "ditch": "Graben", "fence": "Zaun", "guard_rail": "Leitplanke",
           "handrail": "Geländer", "hedge": "Hecke", "retaining_wall": "Stützmauer", "wall": "Mauer",
           "chicane": "Schikane", "fallen_tree": "umgestürzter Baum", "hole": "Loch",
           "rock": "Felsbrocken", "stone": "Stein", "collision_protection": "Anprallschutz",
           "overgrowth": "Bewuchs", "shrub": "Gebüsch", "door": "Tür", "kerb": "Bordstein"},
    "en": {"unknown": "unspecified", "full_height_turnstile": "full-height turnstile"},
}  # fmt: skip


#: "0 m", "5 m" … "1000 m" by ``round(m / 5)``: the distances :func:`metres` says from 10 m
#: to below 1 km, formatted once (every step of the instructions says one).
_FIVES = tuple(f"{5 * i} m" for i in range(201))


def metres(m: float, lang: Language) -> str:
    """A distance as spoken: "5 m", "125 m", "1,2 km" (rounded to 5 m from 10 m on)."""
    if m >= 1000:
        km = f"{m / 1000:.1f}"
        return f"{km.replace('.', ',') if lang == 'de' else km} km"
    if m >= 10:
        return _FIVES[round(m / 5)]  # 2 to 200: 999.9 m is "1000 m"
    return f"{max(1, round(m))} m"


def _num(x: float, lang: Language, digits: int = 0) -> str:
    text = f"{x:.{digits}f}"
    return text.replace(".", ",") if lang == "de" else text


def _join(items: Sequence[str], lang: Language) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {_WORDS[lang]['and']} {items[-1]}"


def _kerb_size(height_cm: float) -> str:
    return "flush" if height_cm <= 0.5 else "lowered" if height_cm <= 3.0 else "raised"


#: Things one after the other (kerbs, seats) spread over less than this are said without
#: their extent (metres).
SPAN_SAID_FROM_M = 5.0


def within(span_m: float, lang: Language) -> str:
    """ " auf den nächsten 20 m" / " within the next 20 m" for a group of things said once, or
    nothing below :data:`SPAN_SAID_FROM_M`."""
    if span_m < SPAN_SAID_FROM_M:
        return ""
    return " " + _WORDS[lang]["within"].format(d=metres(span_m, lang))


def _kerb_run(d: Mapping[str, Any], lang: Language) -> str:
    """Kerbs one after the other, said once (``routing.instructions``): "5 Bordsteine abgesenkt
    (3 cm) auf den nächsten 10 m", "3 Bordsteine auf den nächsten 15 m, höchstens abgesenkt
    (3 cm), 1 davon unbekannter Höhe"."""
    w = _WORDS[lang]
    n, unknown, h = int(d["count"]), int(d["unknown_count"]), d.get("height_cm")
    extent = within(float(d["run_length_m"]), lang)
    if h is None:
        return w["kerbs_unknown"].format(n=n) + extent
    height = f"{_num(h, lang)} cm"
    if d.get("alike") and not unknown:
        return w["kerbs_alike"].format(n=n, kind=w[_kerb_size(h)], h=height) + extent
    text = w["kerbs"].format(n=n) + extent
    text += ", " + w["kerbs_highest"].format(kind=w[_kerb_size(h)], h=height)
    if unknown:
        text += ", " + w["kerbs_some_unknown"].format(u=unknown)
    return text


def describe_barrier(kind: str, details: Mapping[str, Any], lang: Language) -> str:
    """One phrase for a barrier, e.g. "Ampel mit akustischem Signal und Bodenindikatoren",
    "Treppe mit 5 Stufen, mit Handlauf", "Bordstein abgesenkt (3 cm)"."""
    w, d = _WORDS[lang], details
    if kind == "steps":
        n = d.get("step_count")
        text = w["steps"].format(n=n, unit=_STEP_WORDS[lang][n == 1]) if n else w["steps_unknown"]
        if d.get("handrail") in ("yes", "no"):
            text += ", " + w[f"handrail_{d['handrail']}"]
        return text
    if kind == "kerb":
        if d.get("run_length_m") is not None:
            return _kerb_run(d, lang)
        h = d.get("height_cm")
        if h is None:
            return w["kerb_unknown"]
        return w["kerb"].format(kind=w[_kerb_size(h)], h=f"{_num(h, lang)} cm")
    if kind == "crossing":
        key = {
            "traffic_signals": "crossing_signals",
            "marked": "crossing_marked",
            "informal": "crossing_informal",
            "junction": "crossing_junction",
        }.get(str(d.get("crossing")), "crossing_other")
        has, lacks = [], []
        if d.get("acoustic_signal") == "yes":
            has.append(w["acoustic"])
        elif d.get("acoustic_signal") == "no" and d.get("crossing") == "traffic_signals":
            lacks.append(w["acoustic_no"])
        if d.get("vibration_signal") == "yes":
            has.append(w["vibration"])
        if d.get("tactile_paving") == "yes":
            has.append(w["tactile"])
        elif d.get("tactile_paving") == "no":
            lacks.append(w["tactile"])
        if d.get("crossing_island") == "yes":  # crossed in two parts: one waits on it
            has.append(w["island"])
        text = w[key]
        if has:
            text += f" {w['with']} {_join(has, lang)}"
        if lacks:
            text += f"{',' if has else ''} {w['without']} {_join(lacks, lang)}"
        return text
    if kind == "steep":
        p = float(d["incline_percent"])
        text = w["steep_up" if p > 0 else "steep_down"].format(
            p=f"{_num(abs(p), lang)} %", d=metres(float(d["length_m"]), lang)
        )
        return text + (f" ({w['estimated']})" if d.get("source") == "dem" else "")
    if kind == "surface":
        length = metres(float(d["length_m"]), lang)
        name = _SURFACES[lang].get(str(d["surface"]))
        uneven = d.get("smoothness")
        if uneven is None:
            return w["surface"].format(s=name or str(d["surface"]), d=length)
        grade = _SMOOTHNESS[lang].get(str(uneven), str(uneven))
        if name is None:  # surface not mapped: only its smoothness
            return w["uneven"].format(u=grade, d=length)
        return w["surface_uneven"].format(s=name, u=grade, d=length)
    if kind == "narrow":
        return w["narrow"].format(w=f"{_num(float(d['width_m']), lang, 2)} m")
    if kind == "barrier":
        b = str(d.get("barrier"))
        return w["barrier"].format(b=_BARRIERS[lang].get(b, b.replace("_", " ")))
    if kind == "elevator":
        return w["elevator"]
    return kind


#: Pollen taxa as said in a step, plural (the season table's labels are singular).
_POLLEN_PLURAL = {
    "de": {"corylus": "Haselsträucher", "alnus": "Erlen", "betula": "Birken", "fraxinus": "Eschen",
           "quercus": "Eichen", "tilia": "Linden", "grasses": "Gräser", "mugwort": "Beifuß",
           "ambrosia": "Ambrosia"},
    "en": {"corylus": "Hazels", "alnus": "Alders", "betula": "Birches", "fraxinus": "Ash trees",
           "quercus": "Oaks", "tilia": "Lime trees", "grasses": "Grasses", "mugwort": "Mugwort",
           "ambrosia": "Ragweed"},
}  # fmt: skip

#: Stretches of a route said because of the day's conditions (:mod:`routing.condition_steps`).
_STRETCH_WORDS = {
    "de": {
        "pollen": "{taxa} auf den nächsten {d}", "main": "Hauptblütezeit", "side": "Nebenblütezeit",
        "level": "Belastung {x}", "green": "Park-Abschnitt {d}", "light": "unbeleuchtet auf {d}",
    },
    "en": {
        "pollen": "{taxa} for the next {d}", "main": "main season", "side": "side season",
        "level": "{x} level", "green": "Park section {d}", "light": "unlit for {d}",
    },
}  # fmt: skip

#: The DWD pollen forecast's levels 0–3 (with its half steps) in words.
_LEVELS = {
    "de": {0.5: "keine bis gering", 1.0: "gering", 1.5: "gering bis mittel", 2.0: "mittel",
           2.5: "mittel bis hoch", 3.0: "hoch"},
    "en": {0.5: "none to low", 1.0: "low", 1.5: "low to medium", 2.0: "medium",
           2.5: "medium to high", 3.0: "high"},
}  # fmt: skip


def describe_stretch(kind: str, details: Mapping[str, Any], length_m: float, lang: Language) -> str:
    """One phrase for a stretch of the route, e.g. "Birken auf den nächsten 200 m
    (Hauptblütezeit)", "Park-Abschnitt 400 m (Körnerpark)", "unlit for 150 m".

    ``details``: for ``pollen`` the ``taxon`` and its ``season`` (main / side, from the day) or,
    when the day's season does not say (no day, or a forecast outside the table's months), its
    ``intensity`` on the DWD scale 0–3; for ``green`` the park's ``name`` (None: unnamed); none
    for ``light``.
    """
    w = _STRETCH_WORDS[lang]
    d = metres(length_m, lang)
    if kind == "pollen":
        taxon = str(details["taxon"])
        text = w["pollen"].format(taxa=_POLLEN_PLURAL[lang].get(taxon, taxon), d=d)
        season, intensity = details.get("season"), details.get("intensity")
        if season in ("main", "side"):
            text += f" ({w[str(season)]})"
        elif isinstance(intensity, int | float) and intensity > 0:
            level = _LEVELS[lang][min(_LEVELS[lang], key=lambda x: abs(x - float(intensity)))]
            text += f" ({w['level'].format(x=level)})"
        return text
    if kind == "green":
        name = details.get("name")
        return w["green"].format(d=d) + (f" ({name})" if name else "")
    if kind == "light":
        return w["light"].format(d=d)
    return kind


@functools.lru_cache(maxsize=1024)
def attribute_label(name: str, lang: Language) -> str:
    """A readable label for an attribute or unknown flag ("kerb_height" → "kerb height" /
    "Bordsteinhöhe"); unregistered names are spelt out.

    Cached (the registry is fixed once imported): the lookups scan the attribute table, and
    every closing sentence that names an unknown asks for a label."""
    for lookup in (
        lambda: registry.unknown_flag_label(name, lang),
        lambda: registry.label("edge", name, lang),
        lambda: registry.label("node", name, lang),
    ):
        try:
            return lookup()
        except (KeyError, ValueError):
            continue
    return name.replace("_", " ")


#: Limits by their attribute's words: (German, English) noun for "what breaks the limit".
_LIMIT_WORDS = {
    "closed": ("Sperrung", "closure"), "steps": ("Treppe", "stairs"),
    "step_count": ("Treppe", "stairs"), "handrail": ("Treppe ohne Handlauf", "stairs without handrail"),
    "incline": ("Steigung", "incline"), "kerb_height": ("Bordstein", "kerb"),
    "width": ("Engstelle", "narrow passage"), "surface": ("Untergrund", "surface"),
    "smoothness": ("unebener Belag", "uneven surface"), "lit": ("unbeleuchteter Weg", "unlit way"),
    "barrier": ("Hindernis", "barrier"), "wheelchair_no": ("nicht für Rollstühle freigegeben", "wheelchair=no"),
    "acoustic_signal": ("Ampel ohne akustisches Signal", "traffic light without acoustic signal"),
    "tactile_paving": ("Querung ohne Bodenindikatoren", "crossing without tactile paving"),
    "unknown_forbidden": ("unbekannte Angaben", "unknown data"),
    "rests": ("Strecke ohne Sitzgelegenheit", "stretch without a seat"),
}  # fmt: skip
#: German nouns of :data:`_LIMIT_WORDS` whose accusative ("ohne …") differs: "Ein Start ohne
#: unebenen Belag", not "ohne unebener Belag".
_LIMIT_ACCUSATIVE_DE = {
    "smoothness": "unebenen Belag", "lit": "unbeleuchteten Weg", "wheelchair_no": "Rollstuhlverbot",
}  # fmt: skip
#: Limits whose value in metres is a distance walked (whole metres), not a width (centimetres).
_WALKED_LIMITS = frozenset({"rests"})


def _limit_noun(limit: str, lang: Language, *, accusative: bool = False) -> str:
    """What breaks ``limit`` as a noun ("Treppe" / "stairs"; else the attribute's label), in
    German in the accusative if asked (after "ohne")."""
    if accusative and lang == "de" and limit in _LIMIT_ACCUSATIVE_DE:
        return _LIMIT_ACCUSATIVE_DE[limit]
    de, en = _LIMIT_WORDS.get(limit, (attribute_label(limit, "de"), attribute_label(limit, "en")))
    return de if lang == "de" else en


def break_phrase(item: Mapping[str, Any], lang: Language, *, exact: bool = False) -> str:
    """A broken limit in words with its value and place: "Treppe (5 Stufen) bei 120 m",
    "incline 7 % (estimated; limit 6 %) at 300 m". ``item`` is one ``accessibility.breaks``
    entry (or a violation's ``{limit, at_m, message}``)."""
    limit = str(item.get("limit") or item.get("attribute") or "limit")
    head = _limit_noun(limit, lang)
    value, unit = item.get("value"), item.get("unit")
    if limit == "incline" and isinstance(value, int | float) and value < 0:
        head, value = ("Gefälle" if lang == "de" else "downhill slope"), -value
    extras: list[str] = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        if limit in ("steps", "step_count"):
            n = int(value)
            extras.append(f"{n} {_STEP_WORDS[lang][n == 1]}")
        else:
            digits = 2 if unit == "m" and limit not in _WALKED_LIMITS else 0
            extras.append(f"{_num(float(value), lang, digits)}{' ' + str(unit) if unit else ''}")
    elif limit in ("steps", "step_count") and value is None:
        extras.append("Anzahl der Stufen unbekannt" if lang == "de" else "number of steps unknown")
    elif isinstance(value, str) and value and limit in ("barrier", "surface"):
        extras.append(
            _BARRIERS[lang].get(value, _SURFACES[lang].get(value, value.replace("_", " ")))
        )
    if item.get("estimated"):
        extras.append(_WORDS[lang]["estimated"])
    limit_value = item.get("limit_value")
    if (
        isinstance(limit_value, int | float)
        and not isinstance(limit_value, bool)
        and limit not in ("steps",)
    ):
        word = "Grenze" if lang == "de" else "limit"
        digits = 2 if unit == "m" and limit not in _WALKED_LIMITS else 0
        extras.append(
            f"{word} {_num(float(limit_value), lang, digits)}{' ' + str(unit) if unit else ''}"
        )
    text = head + (f" ({'; '.join(extras)})" if extras else "")
    if item.get("at_m") is not None:
        at = float(item["at_m"])
        start = "am Start" if lang == "de" else "at the start"
        d = f"{at:.0f} m" if exact else metres(at, lang)
        if limit in _WALKED_LIMITS:  # a stretch is placed where it begins
            start = "ab dem Start" if lang == "de" else "from the start"
            place = ("ab {d}" if lang == "de" else "from {d}").format(d=d)
        else:
            place = _WORDS[lang]["at"].format(d=d)
        text += " " + (start if at < 0.5 else place)
    return text


def unknown_phrase(item: Mapping[str, Any], lang: Language) -> str:
    """An unknown the route relies on: "2 Bordsteine unbekannter Höhe", "width unknown along
    300 m"; a value only estimated (an incline from the elevation model) says so: "Steigung
    nur geschätzt auf 3,7 km". ``item`` is one ``accessibility.relies_on`` entry."""
    attribute = str(item.get("attribute", ""))
    label = attribute_label(attribute, lang)
    count, length = item.get("count"), item.get("length_m")
    if item.get("estimated"):
        d = f" {'auf' if lang == 'de' else 'along'} {metres(float(length), lang)}" if length else ""
        return f"{label} nur geschätzt{d}" if lang == "de" else f"{label} only estimated{d}"
    if attribute.startswith("kerb") and count:
        n = int(count)
        if lang == "de":
            return f"{n} {'Bordstein' if n == 1 else 'Bordsteine'} unbekannter Höhe"
        return f"{n} {'kerb' if n == 1 else 'kerbs'} of unknown height"
    if count:
        return (
            f"{label} unbekannt ({int(count)}×)"
            if lang == "de"
            else f"{label} unknown ({int(count)}×)"
        )
    if length:
        d = metres(float(length), lang)
        return f"{label} unbekannt auf {d}" if lang == "de" else f"{label} unknown along {d}"
    return f"{label} unbekannt" if lang == "de" else f"{label} unknown"


#: The eight compass points from north clockwise, as a place lies from another.
_COMPASS = {
    "de": ("nördlich", "nordöstlich", "östlich", "südöstlich", "südlich", "südwestlich",
           "westlich", "nordwestlich"),
    "en": ("to the north", "to the north-east", "to the east", "to the south-east",
           "to the south", "to the south-west", "to the west", "to the north-west"),
}  # fmt: skip


def end_short_phrase(record: Mapping[str, Any], lang: Language) -> str:
    """Where a route that honours the limits would start or end (one ``ends_short`` record):
    "Ein Start ohne Treppe liegt 30 m nordwestlich." / "A destination without stairs is 10 m
    to the east." A route that breaks a limit at its very start said only that; the place
    where it would not was in the answer's data, never in the steps a screen reader speaks."""
    names = [_limit_noun(r, lang, accusative=True) for r in record.get("reason") or ()]
    d = metres(float(record["distance_m"]), lang)
    bearing = record.get("bearing_deg")
    where = "" if bearing is None else " " + _COMPASS[lang][round(float(bearing) / 45.0) % 8]
    start = record.get("role") == "origin"
    if lang == "de":
        what = "Ein Start" if start else "Ein Ziel"
        without = f" ohne {_join(names, lang)}" if names else ""
        return f"{what}{without} liegt {d}{where}."
    what = "A start" if start else "A destination"
    without = f" without {_join(names, lang)}" if names else ""
    return f"{what}{without} is {d}{where}."


def obstacle_phrase(obstacle: Mapping[str, Any], lang: Language) -> str:
    """An obstacle the route avoids: "Baustelle umgangen: Gehweg gesperrt" (from the reason
    "Baustelle: Gehweg gesperrt"), "Obstacle avoided: scaffolding"."""
    reason = str(obstacle.get("reason") or obstacle.get("id") or "").strip()
    what, _, why = reason.partition(": ")
    if why and len(what.split()) <= 3:
        return f"{what} umgangen: {why}" if lang == "de" else f"{what} avoided: {why}"
    return f"Hindernis umgangen: {reason}" if lang == "de" else f"Obstacle avoided: {reason}"


def verdict_of(route: Any) -> dict[str, Any]:
    """The route's verdict as JSON (``route.accessibility``, see :class:`routing.route.Accessibility`)."""
    data = route.accessibility.as_dict()
    return {
        "verdict": data["verdict"],
        "breaks": list(data["breaks"]),
        "relies_on": list(data["relies_on"]),
        "known_share": data["known_share"],
    }


def verdict_sentence(
    verdict: Mapping[str, Any], lang: Language, *, has_steps: bool, most: int = 3
) -> str:
    """The closing sentence: "Die Route ist stufenlos und bekannt barrierefrei." / "Achtung: 2
    Bordsteine unbekannter Höhe." / "Die Route ist nicht barrierefrei: Treppe (5 Stufen) bei
    120 m." (at most ``most`` items, then "und N weitere"), of a verdict as JSON
    (:func:`verdict_of`)."""
    breaks = verdict.get("breaks", [])
    relies = verdict.get("relies_on", [])
    return _sentence(
        verdict.get("verdict"), breaks[:most], len(breaks), relies[:most], len(relies), lang,
        has_steps=has_steps, most=most,
    )  # fmt: skip


def accessibility_sentence(
    accessibility: Any, lang: Language, *, has_steps: bool, most: int = 3
) -> str:
    """:func:`verdict_sentence` of a route's ``Accessibility``, turning into JSON only the
    breaks or reliances it words (a route may rely on dozens), and of a reliance only what
    :func:`unknown_phrase` reads (not its places, which may be many)."""
    breaks, relies = accessibility.breaks, accessibility.relies_on
    return _sentence(
        accessibility.verdict, [b.as_dict() for b in breaks[:most]], len(breaks),
        [
            {"attribute": r.attribute, "count": r.count, "length_m": r.length_m,
             "estimated": r.estimated}
            for r in relies[:most]
        ],
        len(relies), lang, has_steps=has_steps, most=most,
    )  # fmt: skip


def _sentence(
    kind: Any,
    breaks: Sequence[Mapping[str, Any]],
    n_breaks: int,
    relies: Sequence[Mapping[str, Any]],
    n_relies: int,
    lang: Language,
    *,
    has_steps: bool,
    most: int,
) -> str:
    """The closing sentence from the first ``most`` breaks and reliances and their counts."""

    def listed(items: list[str], total: int) -> str:
        more = total - most
        shown = items[:most]
        if more > 0:
            shown.append(f"{more} weitere" if lang == "de" else f"{more} more")
        return _join(shown, lang)

    if kind == "yes":
        if lang == "de":
            return f"Die Route ist {'' if has_steps else 'stufenlos und '}bekannt barrierefrei für Ihr Profil."
        return f"The route is {'' if has_steps else 'step-free and '}known to be accessible for your profile."
    if kind == "no":
        items = [break_phrase(b, lang) for b in breaks]
        if len(set(items)) < len(items):  # two said alike ("Treppe bei 4,3 km"): say the metres
            alike = collections.Counter(items)
            items = [
                break_phrase(b, lang, exact=True) if alike[text] > 1 else text
                for b, text in zip(breaks, items, strict=True)
            ]
        said = f": {listed(items, n_breaks)}." if items else "."
        return ("Die Route ist nicht barrierefrei" if lang == "de" else "The route is not accessible") + said  # fmt: skip
    items = [unknown_phrase(u, lang) for u in relies]
    if lang == "de":
        return "Barrierefreiheit unsicher" + (f", Achtung: {listed(items, n_relies)}." if items else ".")  # fmt: skip
    return "Accessibility uncertain" + (f", caution: {listed(items, n_relies)}." if items else ".")  # fmt: skip


_VERDICT_EN = {
    "yes": "YES: known to be accessible for this profile",
    "unknown": "UNKNOWN: nothing known breaks a limit, but some limits rest on unknown data",
    "no": "NO: not accessible, a known limit is broken",
}


def summary_text(route: Any) -> str:
    """The command-line summary of a route (English): the verdict first, then each broken limit
    grouped by attribute with its places, each unknown relied on with its count or length, the
    detour, the largest incline and one line per barrier in words."""
    v = verdict_of(route)
    lines = [
        f"{route.profile}: {route.distance_m:.0f} m, {route.duration_s / 60:.1f} min, "
        f"verdict {_VERDICT_EN.get(str(v['verdict']), v['verdict'])}"
    ]
    if v.get("known_share") is not None:
        lines.append(f"  known share: {float(v['known_share']) * 100:.0f} % of the route's data")
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for item in v["breaks"]:
        groups.setdefault(str(item.get("attribute") or item.get("limit")), []).append(item)
    if groups:
        lines.append("  limits broken:")
    for attribute, items in groups.items():
        places = "; ".join(break_phrase(i, "en", exact=True) for i in items)
        messages = [
            str(i["message"])
            for i in items
            if i.get("limit") == "unknown_forbidden" and i.get("message")
        ]
        note = f" ({'; '.join(dict.fromkeys(messages))})" if messages else ""
        lines.append(f"    {attribute_label(attribute, 'en')}, {len(items)}×: {places}{note}")
    if v["relies_on"]:
        lines.append("  relies on unknown data:")
    for item in v["relies_on"]:
        spots = [p.get("at_m") for p in item.get("places") or [] if p.get("at_m") is not None]
        where = ""
        if spots:
            shown = ", ".join(f"{float(p):.0f} m" for p in spots[:5])
            where = f" at {shown}" + (f" and {len(spots) - 5} more" if len(spots) > 5 else "")
        lines.append(f"    {unknown_phrase(item, 'en')}{where}")
    if route.detour:
        lines.append(
            f"  detour vs walking: +{route.detour['extra_distance_m']:.0f} m "
            f"(×{route.detour['ratio']:.2f})"
        )
    if route.max_incline:
        estimated = " (estimated)" if route.max_incline.get("source") == "dem" else ""
        lines.append(f"  largest incline: {route.max_incline['percent']:+.1f} %{estimated}")
    if route.barriers:
        lines.append("  on the way:")
    for b in route.barriers:
        lines.append(f"    at {b.at_m:5.0f} m  {describe_barrier(b.kind, b.details, 'en')}")
    lines.append(f"  {route.attribution}")
    return "\n".join(lines)
