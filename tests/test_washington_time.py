from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from models.washington import next_midnight, offset_is_washington, to_washington, washington_date

NEW_YORK = ZoneInfo("America/New_York")


def test_daylight_time_ends_at_two_in_the_morning_of_28_october_1962() -> None:
    before = datetime(1962, 10, 28, 5, 59, tzinfo=UTC)
    after = datetime(1962, 10, 28, 6, 0, tzinfo=UTC)
    assert to_washington(before).strftime("%H:%M %Z") == "01:59 EDT"
    assert to_washington(after).strftime("%H:%M %Z") == "01:00 EST"


@pytest.mark.parametrize("year", [1962, 1963])
def test_agrees_with_the_tz_database_hour_by_hour(year: int) -> None:
    instant = datetime(year, 1, 1, tzinfo=UTC)
    while instant.year == year:
        assert to_washington(instant).utcoffset() == instant.astimezone(NEW_YORK).utcoffset(), instant
        instant += timedelta(hours=1)


def test_next_midnight_across_the_change_of_zone() -> None:
    saturday_noon = datetime(1962, 10, 27, 12, 0, tzinfo=timezone(timedelta(hours=-4)))
    midnight = next_midnight(saturday_noon)
    assert midnight.isoformat() == "1962-10-28T00:00:00-04:00"
    assert next_midnight(midnight).isoformat() == "1962-10-29T00:00:00-05:00"
    assert washington_date(next_midnight(midnight)).isoformat() == "1962-10-29"


def test_an_offset_is_checked_against_the_instant() -> None:
    assert offset_is_washington(datetime.fromisoformat("1962-10-28T09:00-05:00"))
    assert not offset_is_washington(datetime.fromisoformat("1962-10-28T09:00-04:00"))
