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
