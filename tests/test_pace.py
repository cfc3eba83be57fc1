from datetime import timedelta

import pytest

from models.pace import PaceError, parse_pace


def test_a_day_every_ten_seconds() -> None:
    pace = parse_pace("1d=10s")
    assert pace.mode == "paced"
    assert pace.real_delay(timedelta(days=3)) == timedelta(seconds=30)
    assert pace.simulated_span(timedelta(seconds=5)) == timedelta(hours=12)
    assert str(pace) == "1d=10s"


def test_instant_never_waits_and_real_is_one_to_one() -> None:
    assert parse_pace("instant").real_delay(timedelta(days=30)) == timedelta(0)
    assert parse_pace("REAL").real_delay(timedelta(hours=2)) == timedelta(hours=2)


@pytest.mark.parametrize("text", ["fast", "1d", "1d=", "=10s", "1d=0s", "1x=10s", "-1d=10s"])
def test_malformed_paces_are_refused_with_the_reason(text: str) -> None:
    with pytest.raises(PaceError, match="invalid pace"):
        parse_pace(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1s=36500d", "at most 1,000 times slower than real time"),
        ("1s=1001s", "at most 1,000 times slower"),
        ("36500d=1s", "at most 1,000,000,000 times faster"),
    ],
)
def test_a_pace_past_the_bounds_is_refused_where_it_once_failed_the_run(text: str, why: str) -> None:
    # `excomm replay memo --pace 1s=36500d` answered "the timeline failed: OverflowError".
    with pytest.raises(PaceError, match=why):
        parse_pace(text)


@pytest.mark.parametrize("text", ["1s=1000s", "1000000000s=1s", "1d=10s", "real"])
def test_a_pace_that_parses_carries_any_span_without_overflowing(text: str) -> None:
    pace = parse_pace(text)
    for span in (timedelta(0), timedelta(days=1), timedelta(days=36_600), timedelta.max):
        assert pace.real_delay(span) <= timedelta(days=100 * 366)
        assert pace.simulated_span(span) <= timedelta(days=100 * 366)
