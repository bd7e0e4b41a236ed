"""Turn-by-turn instructions for people who navigate by ear, in German and English.

Each step says how far to go, which way to turn, onto which street (the street a sidewalk belongs
to), and what is underfoot: kerbs with their height, steps with count and handrail, crossings with
their signals and tactile paving, steep parts, poor surfaces, narrow passages, barriers, elevators.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Literal

from graphs.geodesy import flat_bearing_deg
from routing.route import Barrier, Route

Language = Literal["de", "en"]

_TURNS = {
    "de": {
        "straight": "geradeaus weiter", "slight_left": "leicht links halten", "left": "links abbiegen",
        "sharp_left": "scharf links abbiegen", "slight_right": "leicht rechts halten",
        "right": "rechts abbiegen", "sharp_right": "scharf rechts abbiegen", "uturn": "umkehren",
    },
    "en": {
        "straight": "continue straight", "slight_left": "keep slightly left", "left": "turn left",
        "sharp_left": "turn sharp left", "slight_right": "keep slightly right", "right": "turn right",
        "sharp_right": "turn sharp right", "uturn": "turn around",
    },
}  # fmt: skip

_WORDS = {
    "de": {
        "after": "Nach {d}", "depart": "Starten Sie", "on": "auf {street}", "into": "in {street}",
        "sidewalk_of": "den Gehweg der {street}", "path": "den Weg", "path_on": "dem Weg", "arrive": "Sie haben Ihr Ziel erreicht",
        "arrive_after": "haben Sie Ihr Ziel erreicht",
        "steps": "Achtung: {n} Stufen", "steps_unknown": "Achtung: Treppe (Anzahl der Stufen unbekannt)",
        "handrail_yes": "mit Handlauf", "handrail_no": "ohne Handlauf",
        "kerb": "Bordstein {kind} ({h})", "kerb_unknown": "Bordstein unbekannter Höhe",
        "lowered": "abgesenkt", "raised": "hoch", "flush": "ebenerdig",
        "crossing_signals": "Ampel", "crossing_marked": "Zebrastreifen", "crossing_other": "Straßenquerung",
        "acoustic": "mit akustischem Signal", "no_acoustic": "ohne akustisches Signal",
        "vibration": "mit Vibrationssignal", "tactile": "mit Bodenleitsystem", "no_tactile": "ohne Bodenleitsystem",
        "steep_up": "Steigung {p} auf {d}", "steep_down": "Gefälle {p} auf {d}",
        "surface": "Untergrund {s} auf {d}", "narrow": "Engstelle, {w} breit",
        "barrier": "Hindernis: {b}", "elevator": "Aufzug", "estimated": "(geschätzt)",
    },
    "en": {
        "after": "In {d}", "depart": "Start", "on": "on {street}", "into": "onto {street}",
        "sidewalk_of": "the sidewalk of {street}", "path": "the path", "path_on": "the path", "arrive": "You have arrived",
        "arrive_after": "you have arrived",
        "steps": "Caution: {n} steps", "steps_unknown": "Caution: stairs (number of steps unknown)",
        "handrail_yes": "with handrail", "handrail_no": "without handrail",
        "kerb": "kerb {kind} ({h})", "kerb_unknown": "kerb of unknown height",
        "lowered": "lowered", "raised": "raised", "flush": "flush",
        "crossing_signals": "Traffic light", "crossing_marked": "Zebra crossing", "crossing_other": "Road crossing",
        "acoustic": "with acoustic signal", "no_acoustic": "without acoustic signal",
        "vibration": "with vibration signal", "tactile": "with tactile paving", "no_tactile": "without tactile paving",
        "steep_up": "uphill {p} for {d}", "steep_down": "downhill {p} for {d}",
        "surface": "{s} surface for {d}", "narrow": "narrow passage, {w} wide",
        "barrier": "obstacle: {b}", "elevator": "Elevator", "estimated": "(estimated)",
    },
}  # fmt: skip

_SURFACES = {
    "de": {"sett": "Pflaster", "cobblestone": "Kopfsteinpflaster", "gravel": "Schotter", "fine_gravel": "Splitt",
           "ground": "unbefestigt", "grass": "Rasen", "grass_paver": "Rasengitter", "unpaved": "unbefestigt"},
    "en": {"sett": "sett", "cobblestone": "cobblestone", "gravel": "gravel", "fine_gravel": "fine gravel",
           "ground": "unpaved", "grass": "grass", "grass_paver": "grass paver", "unpaved": "unpaved"},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Instruction:
    """One spoken step: what to do after ``distance_m`` from the previous step."""

    type: str  # depart, turn, barrier, arrive
    at_m: float
    distance_m: float
    lon: float
    lat: float
    text: str
    street: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "type": self.type, "at_m": self.at_m, "distance_m": self.distance_m, "lon": self.lon,
            "lat": self.lat, "text": self.text, "street": self.street,
        }  # fmt: skip


def _metres(m: float, lang: Language) -> str:
    if m >= 1000:
        km = f"{m / 1000:.1f}"
        return f"{km.replace('.', ',') if lang == 'de' else km} km"
    return f"{max(1, round(m / 5) * 5) if m >= 10 else max(1, round(m))} m"


def _num(x: float, lang: Language, digits: int = 0) -> str:
    text = f"{x:.{digits}f}"
    return text.replace(".", ",") if lang == "de" else text


def _turn(delta: float) -> str:
    delta = (delta + 180.0) % 360.0 - 180.0
    magnitude = abs(delta)
    side = "right" if delta > 0 else "left"
    if magnitude < 20:
        return "straight"
    if magnitude < 45:
        return f"slight_{side}"
    if magnitude < 135:
        return side
    if magnitude < 170:
        return f"sharp_{side}"
    return "uturn"


def describe_barrier(b: Barrier, lang: Language) -> str:
    """One phrase for a barrier, e.g. "Ampel mit akustischem Signal, mit Bodenleitsystem"."""
    w, d = _WORDS[lang], b.details
    if b.kind == "steps":
        text = w["steps"].format(n=d["step_count"]) if d.get("step_count") else w["steps_unknown"]
        if d.get("handrail") in ("yes", "no"):
            text += " " + w[f"handrail_{d['handrail']}"]
        return text
    if b.kind == "kerb":
        h = d.get("height_cm")
        if h is None:
            return w["kerb_unknown"]
        kind = "flush" if h <= 0.5 else "lowered" if h <= 3.0 else "raised"
        return w["kerb"].format(kind=w[kind], h=f"{_num(h, lang)} cm")
    if b.kind == "crossing":
        key = {"traffic_signals": "crossing_signals", "marked": "crossing_marked"}.get(
            d["crossing"], "crossing_other"
        )
        parts = [w[key]]
        if d.get("acoustic_signal") == "yes":
            parts.append(w["acoustic"])
        elif d.get("acoustic_signal") == "no" and d["crossing"] == "traffic_signals":
            parts.append(w["no_acoustic"])
        if d.get("vibration_signal") == "yes":
            parts.append(w["vibration"])
        if d.get("tactile_paving") in ("yes", "no"):
            parts.append(w["tactile" if d["tactile_paving"] == "yes" else "no_tactile"])
        return " ".join(parts[:2]) + ("" if len(parts) <= 2 else ", " + ", ".join(parts[2:]))
    if b.kind == "steep":
        p = d["incline_percent"]
        text = w["steep_up" if p > 0 else "steep_down"].format(
            p=f"{_num(abs(p), lang)} %", d=_metres(d["length_m"], lang)
        )
        return text + (" " + w["estimated"] if d.get("source") == "dem" else "")
    if b.kind == "surface":
        name = _SURFACES[lang].get(d["surface"], d["surface"])
        return w["surface"].format(s=name, d=_metres(d["length_m"], lang))
    if b.kind == "narrow":
        return w["narrow"].format(w=f"{_num(d['width_m'], lang, 2)} m")
    if b.kind == "barrier":
        return w["barrier"].format(b=d["barrier"])
    if b.kind == "elevator":
        return w["elevator"]
    return b.kind


def _street_phrase(name: str | None, sidewalk: bool, lang: Language, *, on: bool = False) -> str:
    w = _WORDS[lang]
    if name and sidewalk:
        return w["sidewalk_of"].format(street=name)
    return name or w["path_on" if on else "path"]


def instructions(route: Route, lang: Language = "de") -> list[Instruction]:
    """Spoken-style steps for ``route``: departure, turns where the street changes, every
    barrier where it is met, arrival."""
    w = _WORDS[lang]
    geo = route.geometry
    events: list[tuple[float, int, Instruction]] = []
    legs = [s for s in route.segments if s.length_m > 0] or route.segments
    if not legs:
        return []
    first = legs[0]
    street = _street_phrase(first.name, first.is_sidewalk, lang, on=True)
    events.append((0.0, 0, Instruction("depart", 0.0, 0.0, geo[0][0], geo[0][1], f"{w['depart']} {w['on'].format(street=street)}", first.name)))  # fmt: skip
    for prev, seg in itertools.pairwise(legs):
        if (seg.name, seg.is_sidewalk) == (prev.name, prev.is_sidewalk) and seg.name is not None:
            continue
        b = geo[seg.first_point]  # the junction
        a = geo[max(0, seg.first_point - 1)]
        c = geo[min(seg.first_point + 1, len(geo) - 1)]
        turn = (
            _turn(flat_bearing_deg(b, c) - flat_bearing_deg(a, b))
            if a != b and b != c
            else "straight"
        )
        if seg.name == prev.name and turn == "straight":
            continue
        street = _street_phrase(seg.name, seg.is_sidewalk, lang)
        text = f"{_TURNS[lang][turn]} {w['into'].format(street=street)}"
        events.append(
            (
                seg.start_m,
                1,
                Instruction("turn", round(seg.start_m, 1), 0.0, b[0], b[1], text, seg.name),
            )
        )
    for barrier in route.barriers:
        events.append((barrier.at_m, 2, Instruction("barrier", barrier.at_m, 0.0, barrier.lon, barrier.lat, describe_barrier(barrier, lang))))  # fmt: skip
    end = geo[-1]
    events.append((route.distance_m, 3, Instruction("arrive", round(route.distance_m, 1), 0.0, end[0], end[1], w["arrive"])))  # fmt: skip
    events.sort(key=lambda t: (t[0], t[1]))
    out: list[Instruction] = []
    last_at = 0.0
    for at, _, ins in events:
        gap = max(0.0, at - last_at)
        text = ins.text
        if ins.type != "depart" and gap >= 1.0:
            if ins.type == "arrive":
                text = w["arrive_after"]
            elif ins.type == "turn":
                text = text[0].lower() + text[1:]
            text = f"{w['after'].format(d=_metres(gap, lang))} {text}"
        out.append(
            Instruction(ins.type, ins.at_m, round(gap, 1), ins.lon, ins.lat, text, ins.street)
        )
        last_at = max(last_at, at)
    return out
