"""Washington time in 1962-63, computed without a time-zone database.

Washington kept Eastern Time, with daylight saving from the last Sunday of April to the
last Sunday of October at 02:00 local (the rule of the years before the Uniform Time Act
of 1966). In 1962 daylight time ended at 02:00 EDT on Sunday 28 October, in the middle
of the crisis, so every display and every day boundary goes through this module.

It is pure arithmetic on purpose: workflow code calls it, and a workflow must not read
files (a tz database) or depend on the host's tzdata version.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache, lru_cache

EST = timezone(timedelta(hours=-5), "EST")
EDT = timezone(timedelta(hours=-4), "EDT")


def _last_sunday(year: int, month: int) -> date:
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = next_month - timedelta(days=1)
    return last_day - timedelta(days=(last_day.weekday() + 1) % 7)


@cache
def _dst_bounds_utc(year: int) -> tuple[datetime, datetime]:
    # DST starts at 02:00 EST (07:00 UTC) and ends at 02:00 EDT (06:00 UTC).
    start = datetime.combine(_last_sunday(year, 4), time(7), tzinfo=UTC)
    end = datetime.combine(_last_sunday(year, 10), time(6), tzinfo=UTC)
    return start, end


@cache
def _dst_bounds_in(zone: timezone, year: int) -> tuple[datetime, datetime]:
    # The bounds written in a fixed zone, so that comparing an instant of that zone with
    # them compares its clock fields alone: an ensemble asks this of thousands of instants.
    start, end = _dst_bounds_utc(year)
    return start.astimezone(zone), end.astimezone(zone)


def zone_at(instant: datetime) -> timezone:
    """The zone (EDT or EST) Washington kept at an aware instant."""
    zone = instant.tzinfo
    if zone is None:
        raise ValueError("instant must be timezone-aware")
    if isinstance(zone, timezone):
        # The year as written there is UTC's, or its neighbour within a day of New Year,
        # when no year keeps daylight time: either year's bounds give the same zone.
        start, end = _dst_bounds_in(zone, instant.year)
    else:
        start, end = _dst_bounds_utc(instant.astimezone(UTC).year)
    return EDT if start <= instant < end else EST


# Cached by instant: equal instants written with different offsets share an entry, which
# is right here (the answer depends on the instant only), and wrong for anything that
# reads the offset itself, such as offset_is_washington.
@lru_cache(maxsize=8192)
def to_washington(instant: datetime) -> datetime:
    """The same instant expressed in Washington local time (EDT or EST)."""
    return instant.astimezone(zone_at(instant))


def washington_date(instant: datetime) -> date:
    return to_washington(instant).date()


def written(instant: datetime) -> str:
    """An instant as a reader is told it: `27 Oct 1962 16:00 EDT`, Washington time."""
    local = to_washington(instant)
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"


def next_midnight(instant: datetime) -> datetime:
    """The first Washington midnight strictly after an instant, as an aware datetime."""
    day = washington_date(instant) + timedelta(days=1)
    # Midnight is never inside a DST transition (those happen at 02:00): exactly one
    # of the two readings of midnight is consistent with the zone at that instant.
    as_daylight = datetime.combine(day, time(0), tzinfo=EDT)
    return as_daylight if zone_at(as_daylight) is EDT else datetime.combine(day, time(0), tzinfo=EST)


def offset_is_washington(instant: datetime) -> bool:
    """True when an instant is written with the offset Washington used at that moment."""
    offset = instant.utcoffset()
    return offset is not None and offset == zone_at(instant).utcoffset(None)
