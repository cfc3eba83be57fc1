"""Every member on the record: a row per member that its seed reproduces, durably too."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from models import events as ev
from models.members import outcome_values
from models.pace import INSTANT
from models.simulation import simulate
from service.analysis.explore import explore_locally, explore_recorded
from service.analysis.tables import read_table
from service.runs.lifecycle import start_timeline
from service.runtime.workers import build_worker
from timelines.loader import load_plan, load_timeline

EXCOMM = str(Path(sys.executable).parent / "excomm")
RUN_ONLY = {"runtime", "workers", "elapsed_s"}


def _excomm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXCOMM_HOME": str(home)}
    return subprocess.run([EXCOMM, *args], capture_output=True, text=True, timeout=120, env=env)


def test_rows_say_what_each_member_drew_and_what_came_of_it() -> None:
    plan = load_plan("memo-uncertain")
    table, rows = explore_recorded(plan, 300, seed=4, workers=2)
    assert table.model_dump(exclude=RUN_ONLY) == explore_locally(plan, 300, 4, workers=1).model_dump(
        exclude=RUN_ONLY
    )
    assert [row["member"] for row in rows] == list(range(300))
    assert len({tuple(row) for row in rows}) == 1  # every member has the same columns
    for row in rows[:25]:
        assert isinstance(row["seed"], int)
        events = simulate(load_timeline("memo-uncertain", row["seed"]))
        assert {k: row[k] for k in outcome_values(plan, events)} == outcome_values(plan, events)
        reply = next(e for e in events if isinstance(e, ev.SovietReplyReceived) and e.track == "cuba")
        assert row["soviet.cuba.answer"] == reply.answer
        # Its delay is from the arrival in Moscow of the message it answers, never before it.
        assert reply.in_reply_to is not None
        received = next(
            e.at
            for e in events
            if isinstance(e, ev.MessageDelivered) and e.message_id == reply.in_reply_to[0]
        )
        assert reply.at >= received
        assert row["soviet.cuba.after_h"] == round((reply.at - received).total_seconds() / 3600, 4)
        refused = [e for e in events if isinstance(e, ev.EventSuppressed) and e.cause == "refused"]
        assert row["refused"] == len(refused)
        answered = {e.ally: e.answer for e in events if isinstance(e, ev.AlliedAnswerReceived)}
        assert row["ally.turkey.answer"] == answered.get("Turkey", "none")
        shot = [e for e in events if isinstance(e, ev.IncidentOccurred) and e.kind == "aircraft_shot_down"]
        assert row["incident.aircraft_shot_down.happened"] == bool(shot)
        assert row["deadline_h"] == 72.0 and row["transit.cable_h"] == 8.0
    outcomes = {row["outcome"] for row in rows}
    assert outcomes == {"military_action", "negotiated_withdrawal"}


async def test_a_member_run_again_durably_gives_its_row(
    dev_server: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    plan = load_plan("memo-uncertain")
    _, rows = explore_recorded(plan, 60, seed=8, workers=1)
    picked = [
        next(r for r in rows if r["outcome"] == o) for o in ("military_action", "negotiated_withdrawal")
    ]
    async with build_worker(dev_server.client, store, task_queue=task_queue):
        for row in picked:
            assert isinstance(row["seed"], int)
            handle = await start_timeline(
                dev_server.client,
                load_timeline("memo-uncertain", row["seed"]),
                INSTANT,
                f"member-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
            )
            await handle.result()
            durable = outcome_values(plan, store.events(handle.id))
            assert {k: row[k] for k in durable} == durable


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_explore_writes_the_members_file_in_the_format_of_its_name(tmp_path: Path, suffix: str) -> None:
    members = tmp_path / f"members{suffix}"
    done = _excomm(
        tmp_path, "explore", "memo-uncertain", "--runs", "120", "--seed", "3", "--members", str(members)
    )
    assert done.returncode == 0, done.stderr
    assert f"excomm: members written to {members}" in done.stderr
    table = read_table(members)
    assert list(table["member"]) == list(range(120))
    assert table["outcome"].value_counts().sum() == 120
    # The member the file names is the one --member N --ensemble-seed S runs.
    row = table.iloc[17]
    shown = _excomm(tmp_path, "dry-run", "memo-uncertain", "--member", "17", "--ensemble-seed", "3")
    assert shown.returncode == 0, shown.stderr
    assert f"{row['events']} events, outcome: {row['outcome']}" in shown.stdout
    assert f"seed {row['seed']})" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["explore", "memo-uncertain", "--members", "m.xlsx"],
            "invalid --members m.xlsx: the file must end in",
        ),
        (["explore", "memo-uncertain", "--members", "no/such/m.csv"], "cannot write --members no/such/m.csv"),
        (
            ["explore", "memo-uncertain", "--runtime", "temporal", "--members", "m.csv"],
            "--members is written by --runtime local",
        ),
        (["dry-run", "memo-uncertain", "--member", "3"], "--member N needs --ensemble-seed S"),
        (["dry-run", "memo-uncertain", "--ensemble-seed", "3"], "--ensemble-seed S goes with --member N"),
        (["dry-run", "memo-uncertain", "--member", "-1", "--ensemble-seed", "3"], "invalid --member -1"),
    ],
)
def test_bad_member_options_are_one_line_and_write_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = subprocess.run(
        [EXCOMM, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "EXCOMM_HOME": str(tmp_path / "home")},
    )
    assert done.returncode != 0
    assert done.stderr.startswith("excomm: error: " + message), done.stderr
    assert done.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == []
