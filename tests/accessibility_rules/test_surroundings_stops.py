"""Public transport stops for the console's map: which tags make a stop, and what it says."""

from __future__ import annotations

import pytest

from accessibility_rules.surroundings import stop_facts, stop_kind


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        ({"highway": "bus_stop"}, "bus_stop"),
        ({"railway": "tram_stop"}, "tram_stop"),
        ({"public_transport": "platform"}, "platform"),
        ({"railway": "platform"}, "platform"),
        ({"public_transport": "stop_position"}, None),  # on the carriageway: nobody waits there
        ({"amenity": "bench"}, None),
    ],
)
def test_stop_kind(tags: dict[str, str], kind: str | None) -> None:
    assert stop_kind(tags) == kind


def test_stop_facts_keep_unknown_apart_from_no() -> None:
    assert stop_facts({"highway": "bus_stop", "name": " Rathaus ", "wheelchair": "yes"}) == {
        "name": "Rathaus", "wheelchair": "yes", "bench": "unknown"
    }  # fmt: skip
    assert stop_facts({"bench": "no", "wheelchair": "bad value"}) == {
        "name": None, "wheelchair": "unknown", "bench": "no"
    }  # fmt: skip
