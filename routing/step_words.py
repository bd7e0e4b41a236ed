"""The words of the spoken steps (:mod:`routing.instructions`), German and English: the turns
(:data:`TURN_WORDS`, and said again onto the same kind of way, :data:`TURN_AGAIN_WORDS`), the
steps' own phrases (:data:`STEP_WORDS`: departure, arrival, via points, closures) and how a
distance before a step begins (:data:`AFTER_WORDS`). The ways' phrases are
:class:`routing.street_names.Way`'s; the barriers' :func:`routing.wording.describe_barrier`'s.
"""

from __future__ import annotations

from routing.wording import Language

__all__ = [
    "AFTER_WORDS",
    "LANGUAGES",
    "STEP_WORDS",
    "TURN_AGAIN_WORDS",
    "TURN_WORDS",
]


TURN_WORDS = {
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


STEP_WORDS = {
    "de": {
        "after": "Nach {d}", "depart": "Starten Sie", "arrive": "Sie haben Ihr Ziel erreicht.",
        "stop": "Sie haben Ihr Zwischenziel erreicht", "stop_n": "Sie haben Zwischenziel {n} erreicht",
        "stop_back": ", dann umkehren",
        "arrive_after": "haben Sie Ihr Ziel erreicht.", "again": "erneut",
        "staying": "weiter auf {way}", "caution": "Achtung, ", "crossing": " und die Straße überqueren.",
        "closed_way": "Weg gesperrt auf {d}", "closed_point": "gesperrt",
        "lift_closed": "Aufzug außer Betrieb",
        "no_wheelchair_way": "Weg nicht für Rollstühle freigegeben auf {d}",
        "no_wheelchair_point": "nicht für Rollstühle freigegeben",
    },
    "en": {
        "after": "In {d}", "depart": "Start", "arrive": "You have arrived.",
        "stop": "You have reached your stop", "stop_n": "You have reached stop {n}",
        "stop_back": ", then turn around",
        "arrive_after": "you have arrived.", "again": "again", "staying": "staying on {way}",
        "caution": "Caution, ", "crossing": " and cross the road.",
        "closed_way": "way closed for {d}", "closed_point": "closed",
        "lift_closed": "elevator out of service",
        "no_wheelchair_way": "way not open to wheelchairs for {d}",
        "no_wheelchair_point": "not open to wheelchairs",
    },
}  # fmt: skip

LANGUAGES: tuple[Language, ...] = ("de", "en")

#: A turn said the second time in a row onto the same kind of way: "erneut rechts abbiegen",
#: "turn right again".
TURN_AGAIN_WORDS = {
    "de": {k: f"{STEP_WORDS['de']['again']} {v}" for k, v in TURN_WORDS["de"].items()},
    "en": {k: f"{v} {STEP_WORDS['en']['again']}" for k, v in TURN_WORDS["en"].items()},
}
#: "Nach {d}" / "In {d}" up to the distance, which ends them.
AFTER_WORDS = {lang: words["after"].removesuffix("{d}") for lang, words in STEP_WORDS.items()}
