"""The clock of one local day in a time zone: which UTC instants fall on it and how they read.

Every route answer reports the sunrise and sunset at its origin as ISO 8601 text in
Europe/Berlin. Made the plain way, each is an aware ``datetime`` (midnight plus a
``timedelta``), converted to the zone (a ``zoneinfo`` lookup) and formatted: a dozen C calls and
objects per time, which cost little warm but much when the caches are cold, as they are for a
server's request after a pause. :class:`ZoneDay` holds what those steps derive from the *day*
alone, computed once per day and zone (:func:`zone_day`, cached): the Julian day of its 0 h UTC,
the zone's UTC offsets over the instants a day's sunrise or sunset can take (with the second
each starts, found with ``zoneinfo`` itself, so clock changes fall where ``zoneinfo`` puts them)
and the offset's text as ``isoformat`` writes it. An instant, given as whole seconds after the
day's 0 h UTC, is then read with integer arithmetic (:meth:`ZoneDay.text`).
``tests/accessibility_rules/test_zone_day.py`` compares every text with ``datetime``'s.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

__all__ = ["ZoneDay", "zone_day"]

_DAY_S = 86_400
#: The instants a :class:`ZoneDay` reads: seconds after the day's 0 h UTC, from 0 to two days.
#: Sunrise and sunset computed for a day fall within its first day and a half (up to 36 h 16
#: min after 0 h UTC, a sunset at 180° W), and the local day of any zone ends within 38 h.
_SPAN_S = 2 * _DAY_S
#: The step at which offsets are sampled before a change is found to the second: shorter than
#: any time between two clock changes of a zone.
_SAMPLE_S = 900


@dataclass(frozen=True, slots=True)
class ZoneDay:
    """One local day (``day``) of a time zone, for instants given in whole seconds after the
    day's 0 h UTC (``utc_seconds``).

    ``offsets``: ``(first second, UTC offset in seconds, its ISO 8601 text)`` for each span of
    one offset over ``[0, _SPAN_S]``, in order, the first starting at 0.
    """

    day: dt.date
    prefix: str  # the day's ISO 8601 text and "T"
    offsets: tuple[tuple[int, int, str], ...]

    def text(self, utc_seconds: int) -> str | None:
        """The instant ``utc_seconds`` after the day's 0 h UTC as local ISO 8601 text to the
        second (``datetime.isoformat(timespec="seconds")`` of the instant in the zone), or
        ``None`` when it falls on another local day. ``utc_seconds`` is within two days
        (``ValueError`` else)."""
        if not 0 <= utc_seconds <= _SPAN_S:
            raise ValueError(f"{utc_seconds} s is not within the {_SPAN_S} s a day reads")
        offset, suffix = 0, ""
        for first, offset_s, text in self.offsets:
            if utc_seconds < first:
                break
            offset, suffix = offset_s, text
        local = utc_seconds + offset
        if not 0 <= local < _DAY_S:
            return None
        hours, rest = divmod(local, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{self.prefix}{hours:02d}:{minutes:02d}:{seconds:02d}{suffix}"


def _offset(utc: dt.datetime, tz: dt.tzinfo) -> tuple[int, str]:
    """``utc``'s offset in ``tz`` (whole seconds) and its text as ``isoformat`` ends with it."""
    local = utc.astimezone(tz)
    offset = local.utcoffset()
    assert offset is not None  # an aware time in a zone
    return int(offset.total_seconds()), local.isoformat(timespec="seconds")[19:]


@functools.lru_cache(maxsize=16)
def zone_day(day: dt.date, tz: dt.tzinfo) -> ZoneDay:
    """The :class:`ZoneDay` of ``day`` in ``tz`` (cached: every request of a day reads the same
    one)."""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    at = lambda s: _offset(midnight + dt.timedelta(seconds=s), tz)  # noqa: E731
    offsets = [(0, *at(0))]
    samples = [*range(_SAMPLE_S, _SPAN_S, _SAMPLE_S), _SPAN_S]
    before = 0
    for sample in samples:
        if at(sample)[0] != offsets[-1][1]:
            low, high = before, sample  # at(low) is the last offset, at(high) another
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if at(mid)[0] == offsets[-1][1] else (low, mid)
            offsets.append((high, *at(high)))
        before = sample
    return ZoneDay(day, f"{day.isoformat()}T", tuple(offsets))
