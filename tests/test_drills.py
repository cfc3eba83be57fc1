"""The drills, short: the long ones (bench/drills/) are run by hand, these on every change.

Each kills for real (SIGKILL to worker processes; kill -9 to the whole `excomm server`)
and compares every timeline's stored log, seq by seq, and every ensemble's table with
an uninterrupted run; the fuzz feeds generated input to what reads a user's input.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from activities.stores import open_store
from bench.drills import foreign_home, fuzz, oversized_moves, server_kills, worker_kills
from bench.drills.common import SHORT
from tests.postgres import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def drill_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The store the workers share: the drill's own SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield
        return
    with fresh_database(request.getfixturevalue("postgres_url")) as url:
        open_store(url).migrate()
        monkeypatch.setenv("EXCOMM_EVENT_STORE", url)
        yield


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("drill_store")
async def test_workers_killed_at_random_instants_lose_duplicate_and_change_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXCOMM_HOME", str(home))  # the drill points it at its own folder
    summary = await worker_kills.drill(
        kills=4, workers=2, seconds=4, members=1500, seed=7, names=SHORT, gap=1.0, say=False
    )
    found = summary.findings
    assert summary.kills == 4
    assert found.timelines == 5 * summary.rounds and found.ensembles == 2 * summary.rounds
    assert found.events > 0 and found.clean, found.problems


@pytest.mark.timeout(600)
async def test_the_whole_server_killed_and_restarted_on_its_data_loses_nothing() -> None:
    summary = await server_kills.drill(
        kills=2, seconds=8, members=1500, seed=7, names=SHORT, gap=3.0, say=False
    )
    found = summary.findings
    assert summary.kills == 2
    assert found.timelines == 5 and found.ensembles == 2
    assert found.events > 0 and found.clean, found.problems


@pytest.mark.timeout(300)
def test_fuzzed_plans_timelines_moves_instants_paces_and_durations_get_an_answer_or_excomms_own_error() -> (
    None
):
    # A count of batches, not a time: a slower machine fuzzes as much, for longer.
    tally = fuzz.fuzz(seconds=0, say=False, turns=7)  # one batch of each kind: 280 cases
    assert set(tally.cases) == {
        "loader: mutated files",
        "loader: rebuilt documents",
        "names",
        "moves",
        "--at",
        "--pace",
        "durations",
    }
    assert sum(tally.cases.values()) >= 250
    assert not tally.crashes and not tally.hangs, tally.crashes + tally.hangs


@pytest.mark.timeout(300)
def test_every_home_that_is_not_the_users_own_is_refused_and_nothing_is_written_through_it() -> None:
    outcomes = foreign_home.drill(say=False)
    assert len(outcomes) >= 16
    assert [(o.case, o.broken) for o in outcomes if o.broken] == []


@pytest.mark.timeout(300)
async def test_moves_of_every_size_and_a_flood_never_fail_a_task_and_the_timeline_goes_on() -> None:
    # 36 moves of 250 kB take the history past the 8 MB bound: the small move after is refused.
    report = await oversized_moves.drill(flood=36, largest_kb=1900, say=False)
    assert report.broken == [], report.lines()
    assert len(report.sizes) == 8 and report.task_failures == 0
    assert "history has grown" in report.after_flood
