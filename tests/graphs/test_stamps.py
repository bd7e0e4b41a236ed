"""UTC time stamps as the project writes them (graphs/stamps.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from graphs.stamps import utc_stamp


def test_a_stamp_is_utc_to_the_second_with_z() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    assert (
        utc_stamp(datetime(2024, 6, 3, 8, 10, 5, 999_999, tzinfo=berlin_summer))
        == "2024-06-03T06:10:05Z"
    )
    assert utc_stamp(datetime(2024, 6, 3, 6, 10, tzinfo=UTC)) == "2024-06-03T06:10:00Z"
    now = utc_stamp()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", now)
    assert abs(datetime.fromisoformat(now) - datetime.now(UTC)) < timedelta(seconds=5)
