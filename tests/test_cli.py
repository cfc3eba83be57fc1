"""The `excomm` command as a user runs it: real processes, real servers, exit statuses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from activities.stores import open_store
from tests.processes import EXCOMM, FIXTURE, excomm, excomm_server


def test_replay_prints_the_chronicle_day_by_day_and_records_every_event(home: Path) -> None:
    done = excomm("replay", "october-1962", home=home)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "October 1962: the Cuban Missile Crisis as it happened (the record)"
    headings = [line for line in lines if line.startswith(("Sunday", "Monday", "Tuesday", "Wednesday"))]
    assert headings[0].startswith("Sunday 14 October 1962")
    assert any("DEFCON SAC: 3 -> 2" in line for line in lines)
    assert any("quarantine: proclaimed -> in_force" in line for line in lines)
    assert "outcome: negotiated_withdrawal" in done.stdout.replace("\n", " ")
    timeline_id = next(w.rstrip(";") for w in done.stdout.split() if w.startswith("october-1962-"))
    recorded = open_store(home / "events.sqlite3").events(timeline_id)
    assert [e.seq for e in recorded] == list(range(1, len(recorded) + 1))
    assert len(recorded) > 100


def test_run_memo_with_no_moves_escalates_to_military_action(home: Path) -> None:
    done = excomm("run", "memo", home=home)
    assert done.returncode == 0, done.stderr
    assert "outcome: military_action" in done.stdout
    assert "¶1b" in done.stdout and "¶2b" in done.stdout
    assert "escalation: pol_embargo -> air_strike" in done.stdout
    assert "(a counterfactual, not the record)" in done.stdout.splitlines()[0]
    assert "PLAN ¶5a" in done.stdout


def test_plan_prints_the_steps_in_order_with_their_paragraphs(home: Path) -> None:
    done = excomm("plan", home=home)
    assert done.returncode == 0, done.stderr
    paragraphs = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    order = [p for i, p in enumerate(paragraphs) if p not in paragraphs[:i]]
    assert order[:5] == ["5a", "5b", "7a", "7b", "6"]
    assert order[-2:] == ["1b", "2b"]


def test_events_as_jsonl_carry_seq_instant_type_actor_summary_sources_and_provenance(home: Path) -> None:
    done = excomm("events", "october-1962", "--format", "jsonl", home=home)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    for row in rows:
        assert {"seq", "at", "type", "actor", "summary", "sources", "provenance"} <= row.keys()
        assert row["at"][-6:] in ("-04:00", "-05:00")
    kinds = [r["provenance"] for r in rows]
    assert "plan" not in kinds and kinds.count("historical") >= 130
    assert rows[-1]["at"].startswith("1963-08-05")  # the follow-ups of 1963
    assert not home.exists()  # reading a timeline writes nothing


def test_the_memo_timeline_marks_the_plans_events_plan_and_the_records_historical(home: Path) -> None:
    done = excomm("events", "memo-1962", "--format", "jsonl", home=home)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    acts = [r for r in rows if r.get("step") and r["type"] != "message_delivered"]
    assert {r["provenance"] for r in acts} == {"plan"}
    # Moscow's answers to the plan are the timeline's own counterfactual; the record's Soviet
    # letters stay the record, answers to Kennedy's.
    assert {r["provenance"] for r in rows if r["type"] == "soviet_reply_received"} == {"counterfactual"}
    letters = [r for r in rows if r["type"] == "message_sent" and r.get("side") == "moscow"]
    assert letters and {r["provenance"] for r in letters} == {"historical"}
    chronicle = excomm("events", "memo-1962", home=home).stdout
    assert "PLAN ¶5a" in chronicle and "PLAN ¶7b" in chronicle


def test_the_world_as_washington_knew_it_at_noon_on_27_october(home: Path) -> None:
    noon = "1962-10-27T12:00-04:00"
    happened = json.loads(excomm("state", "october-1962", "--at", noon, home=home).stdout)
    known = json.loads(excomm("state", "october-1962", "--at", noon, "--as", "washington", home=home).stdout)
    assert happened["incidents"]["aircraft_shot_down"] == 1
    assert "aircraft_shot_down" not in known["incidents"]
    bad = excomm("state", "october-1962", "--as", "cuba", home=home)
    assert (
        bad.returncode == 2
        and bad.stderr == "excomm: error: invalid --as 'cuba': use washington, moscow or havana\n"
    )


def test_the_chronicle_as_washington_knew_it_tells_the_u2_loss_at_the_afternoon_excomm(home: Path) -> None:
    done = excomm("events", "october-1962", "--as", "washington", home=home)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    loss = text.index("bring down Maj. Rudolf Anderson")
    # Told when Taylor reported it to the 16:00 ExComm, not when it happened.
    assert text.rfind("16:00 EDT", 0, loss) > text.rfind("Saturday 27 October 1962", 0, loss) > 0
    assert "it happened 27 Oct 1962 11:19 EDT" in text[loss:]


def test_source_opens_the_seed_memo_a_record_and_a_work(home: Path) -> None:
    memo = excomm("source", "FRUS 1961-63 v11 d89", home=home)
    assert memo.returncode == 0, memo.stderr
    assert memo.stdout.startswith("FRUS 1961-63 v11 d89: Memorandum Prepared by the Planning Subcommittee")
    assert "Basic Strategy" in memo.stdout  # the memo's own text, paragraph 2
    record = excomm("source", "FRUS 1961-63 v10-12 mSupp 365", home=home)
    assert "history.state.gov" in record.stdout and "ships this document's record" in record.stdout
    work = excomm("source", "Dobbs 2008, ch. 10", home=home)
    assert work.stdout.startswith("Dobbs 2008, ch. 10: One Minute to Midnight")
    unknown = excomm("source", "Somebody's blog", home=home)
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
    assert unknown.stderr.startswith('excomm: error: no source "Somebody\'s blog"')


def test_state_at_an_instant_as_json(home: Path) -> None:
    done = excomm("state", "october-1962", "--at", "1962-10-24T12:00-04:00", home=home)
    assert done.returncode == 0, done.stderr
    world = json.loads(done.stdout)
    assert world["quarantine"] == "in_force"
    assert world["defcon"]["SAC"] == 2
    assert world["missiles"] == "detected"
    assert world["outcome"] is None


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ("replay", "october-1963"),
            {},
            "excomm: error: unknown timeline 'october-1963' (known: air-strike-20-oct,",
        ),
        (("state", "october-1962", "--at", "24 Oct"), {}, "excomm: error: invalid --at '24 Oct'"),
        (("state", "october-1962", "--at", "1962-10-24T12:00"), {}, "excomm: error: invalid --at"),
        (("replay", "october-1962", "--pace", "fast"), {}, "excomm: error: invalid pace 'fast'"),
        (
            ("replay", "october-1962"),
            {"TEMPORAL_ADDRESS": "127.0.0.1:1"},
            "excomm: error: cannot reach the Temporal server at 127.0.0.1:1",
        ),
        (("status", "no-such-run"), {}, "excomm: error: no Temporal server is running"),
    ],
)
def test_bad_input_is_one_line_a_nonzero_exit_and_no_change(
    home: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    done = excomm(*args, home=home, **env)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr
    assert not (home / "events.sqlite3").exists() and not (home / "temporal.sqlite3").exists()


def test_a_malformed_timeline_file_names_file_line_and_field(home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        Path(FIXTURE).read_text().replace("at: 1962-10-28T12:00-05:00", "at: 1962-10-28T12:00-04:00")
    )
    done = excomm("replay", str(broken), home=home)
    assert done.returncode == 1
    assert done.stderr == (
        f"{broken}:45:9: E-INVALID events[4].at: offset is not Washington time at that instant "
        "(expected EST, -05:00)\n"
    )
    assert not home.exists()


@pytest.fixture
def running_server(home: Path) -> Iterator[str]:
    with excomm_server(home) as (address, process):
        yield address
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_start_status_pause_and_step_against_excomm_server(home: Path, running_server: str) -> None:
    started = excomm("start", FIXTURE, "--id", "lesson-1", "--pace", "1d=1h", "--paused", home=home)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "lesson-1"
    status = excomm("status", "lesson-1", home=home)
    assert "Fri 26 Oct 1962 00:00 EDT  (paused)" in status.stdout, status.stdout
    assert excomm("step-day", "lesson-1", home=home).returncode == 0
    events = excomm("events", "lesson-1", "--format", "jsonl", home=home)
    # The events query answers as soon as the step is applied; wait for it by asking.
    for _ in range(100):
        if len(events.stdout.splitlines()) == 3:
            break
        events = excomm("events", "lesson-1", "--format", "jsonl", home=home)
    assert [json.loads(line)["seq"] for line in events.stdout.splitlines()] == [1, 2, 3]
    again = excomm("start", FIXTURE, "--id", "lesson-1", home=home)
    assert again.returncode == 1 and "already taken" in again.stderr


def _chronicle(home: Path, timeline_id: str) -> list[dict[str, Any]]:
    done = excomm("events", timeline_id, "--format", "jsonl", home=home)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_move_by_excomm_signal_and_by_the_temporal_cli_has_the_same_effect(
    home: Path, running_server: str
) -> None:
    accept = {"track": "cuba", "answer": "accept", "at": "1962-10-30T15:00-05:00"}
    for run in ("by-excomm", "by-temporal"):
        assert excomm("start", "memo", "--id", run, "--paused", home=home).returncode == 0
    # Moscow can accept only what has reached it: the plan's Cuba proposal, sent at noon on
    # 27 Oct and in Moscow at 20:00. Two days stepped, it is.
    early = excomm("signal", "by-excomm", "soviet_reply", "--json", json.dumps(accept), home=home)
    assert early.stderr == "excomm: error: move refused: no message on the cuba track had reached Moscow\n"
    for run in ("by-excomm", "by-temporal"):
        for _ in range(2):
            assert excomm("step-day", run, home=home).returncode == 0
        for _ in range(200):  # the two days run in well under a second
            if "Sun 28 Oct 1962 00:00 EDT  (paused)" in excomm("status", run, home=home).stdout:
                break
    sent = excomm("signal", "by-excomm", "soviet_reply", "--json", json.dumps(accept), home=home)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "move accepted: soviet_reply at 30 Oct 1962 15:00 EST"
    temporal = str(Path(sys.executable).parent / "temporal")
    subprocess.run(
        [
            temporal,
            "workflow",
            "signal",
            "--address",
            running_server,
            "--workflow-id",
            "by-temporal",
            "--name",
            "move",
            "--input",
            json.dumps({"kind": "soviet_reply", **accept}),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )

    refused = excomm("signal", "by-excomm", "soviet_reply", "--json", '{"track": "cuba"}', home=home)
    assert refused.returncode == 1
    assert refused.stderr == "excomm: error: move refused: missing field 'answer'\n"
    garbled = excomm("signal", "by-excomm", "soviet_reply", "--json", "{track: cuba}", home=home)
    assert garbled.returncode == 2 and garbled.stderr.startswith("excomm: error: --json is not valid JSON")

    for run in ("by-excomm", "by-temporal"):
        assert excomm("resume", run, home=home).returncode == 0
    for _ in range(200):  # the runs finish in well under a second once resumed
        status = [excomm("status", run, home=home).stdout for run in ("by-excomm", "by-temporal")]
        if all("completed" in s for s in status):
            break
    assert all("outcome negotiated_withdrawal" in s for s in status), status
    assert _chronicle(home, "by-excomm") == _chronicle(home, "by-temporal")


def test_a_branch_of_the_memo_timeline_rejected_on_27_october_diverges_there_and_nowhere_before(
    home: Path, running_server: str
) -> None:
    assert excomm("start", "memo-1962", "--id", "history", home=home).returncode == 0
    for _ in range(200):  # an instant run is done in about a second
        if "completed" in excomm("status", "history", home=home).stdout:
            break
    before = _chronicle(home, "history")
    fork_at = "1962-10-27T19:44-04:00"
    after_fork = next(e for e in before if datetime.fromisoformat(e["at"]) > datetime.fromisoformat(fork_at))
    reject = json.dumps({"track": "cuba", "answer": "reject"})
    forked = excomm(
        "branch",
        "history",
        "--at",
        fork_at,
        "--move",
        "soviet_reply",
        "--json",
        reject,
        "--id",
        "what-if-rejected",
        home=home,
    )
    assert forked.returncode == 0, forked.stderr
    assert forked.stdout.strip() == "what-if-rejected"
    for _ in range(200):
        if "completed" in excomm("status", "what-if-rejected", home=home).stdout:
            break
    branch = _chronicle(home, "what-if-rejected")
    seq = after_fork["seq"]
    assert branch[: seq - 1] == before[: seq - 1]  # identical up to the fork
    assert branch[seq - 1]["type"] == "move_interjected"
    assert branch[seq - 1]["provenance"] == "counterfactual"
    diff = excomm("diff", "history", "what-if-rejected", home=home).stdout.splitlines()
    # Matched by content: the move, what it suppressed and what the plan did instead; no
    # cascade of renumbered events.
    assert diff[0].startswith(
        "only in what-if-rejected: 27 Oct 1962 19:44 EDT  move_interjected (counterfactual)"
    )
    # What Moscow's rejection changed: no answer to the plan, no settlement, and the record's
    # acts that presupposed one.
    assert any(
        line.startswith("only in history: 30 Oct 1962 07:00 EST  agreement_reached (plan)") for line in diff
    )
    assert any(line.startswith("what-if-rejected: suppressed from the record: ") for line in diff)
    assert len(diff) < 60
    summary = " ".join(" ".join(line.split()) for line in diff)
    assert "first divergence 27 Oct 1962 19:44 EDT" in summary
    assert "outcome negotiated_withdrawal military_action" in summary
    assert _chronicle(home, "history") == before  # the parent is untouched
    lineage = excomm("tree", "what-if-rejected", home=home).stdout
    assert "history" in lineage and "negotiated_withdrawal" in lineage
    assert (
        f"what-if-rejected  forked after seq {seq - 1} at 27 Oct 1962 19:44 EDT; moves: soviet_reply cuba "
        "reject  military_action" in lineage
    )
    # History reacts: the acceptance of 28 Oct answered terms the branch's Soviets rejected.
    kinds = [e["type"] for e in branch]
    assert "agreement_reached" not in kinds and "soviet_reply_received" in kinds
    status = excomm("status", "what-if-rejected", home=home).stdout
    assert (
        "suppressed from the record: 28 Oct 09:00 EST agreement_reached (it answers jfk-1962-10-27, which "
        "was never sent in this timeline)" in status
    )
    drawn = excomm(
        *("branch", "history", "--at", fork_at, "--behaviour", "memo-uncertain", "--seed", "3"),
        *("--id", "drawn"),
        home=home,
    )
    assert drawn.returncode == 0, drawn.stderr
    for _ in range(200):
        if "completed" in excomm("status", "drawn", home=home).stdout:
            break
    seeded = [e for e in _chronicle(home, "drawn") if e["summary"].startswith("(seed 3)")]
    assert seeded and {e["provenance"] for e in seeded} == {"counterfactual"}
    # A branch says what plays in it, in `status` and in `tree`.
    played = "behaviour memo-uncertain (seed 3) from 27 Oct 1962 19:44 EDT"
    drawn_status = excomm("status", "drawn", home=home).stdout
    assert played in drawn_status
    # What the behaviour played that the world did not admit is listed, with why.
    assert "refused by the world: " in drawn_status and "is not open" in drawn_status
    assert f"; {played}" in excomm("tree", "drawn", home=home).stdout
    holdout = excomm(
        *("branch", "history", "--at", fork_at, "--variant", "jupiter-holdout", "--seed", "1"),
        *("--id", "holdout"),
        home=home,
    )
    assert holdout.returncode == 0, holdout.stderr
    for _ in range(200):
        if "completed" in excomm("status", "holdout", home=home).stdout:
            break
    assert _chronicle(home, "holdout")[: seq - 1] == before[: seq - 1]  # its past, byte for byte
    assert "variant  jupiter-holdout (from the fork)" in excomm("status", "holdout", home=home).stdout
    assert (
        "; variant jupiter-holdout; behaviour jupiter-holdout's own (seed 1) from 27 Oct 1962 19:44 EDT"
        in excomm("tree", "holdout", home=home).stdout
    )
    # A variant whose own moves come before the fork would rewrite the branch's past.
    late = excomm(
        *("branch", "history", "--at", "1962-10-28T08:00-05:00", "--variant", "u2-sam-strike"),
        *("--id", "late-strike"),
        home=home,
    )
    assert late.returncode == 1 and late.stderr.count("\n") == 1
    assert "its incident at 1962-10-27T11:19:00-04:00 comes before the fork" in late.stderr
    wrong = excomm("branch", "history", "--at", "1962-10-27T19:44-05:00", "--id", "wrong-offset", home=home)
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
    assert "offset is not Washington time at that instant (expected EDT, -04:00)" in wrong.stderr
    assert (
        "no timeline 'wrong-offset' on the server" in excomm("status", "wrong-offset", home=home).stderr
    )  # nothing started
    temporal = str(Path(sys.executable).parent / "temporal")
    listed = subprocess.run(
        [temporal, "workflow", "list", "--address", running_server, "--query", "ExcommRoot = 'history'"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "history" in listed.stdout and "what-if-rejected" in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["branch", "no-such-run", "--after-seq", "3"],
            "excomm: error: no timeline 'no-such-run' on the server",
        ),
        (["branch", "lesson-2", "--after-seq", "999"], "excomm: error: fork point beyond the end"),
        (
            [
                "branch",
                "lesson-2",
                "--after-seq",
                "2",
                "--move",
                "soviet_reply",
                "--json",
                '{"track": "cuba"}',
            ],
            "excomm: error: --move 1: missing field 'answer'",
        ),
        (
            ["branch", "lesson-2", "--after-seq", "2", "--at", "1962-10-27T12:00-04:00"],
            "excomm: error: give exactly one of --at or --after-seq",
        ),
    ],
)
def test_bad_branches_are_one_line_and_start_nothing(
    home: Path, running_server: str, args: list[str], message: str
) -> None:
    assert excomm("start", FIXTURE, "--id", "lesson-2", home=home).returncode == 0
    for _ in range(200):
        if "completed" in excomm("status", "lesson-2", home=home).stdout:
            break
    done = excomm(*args, home=home)
    usage = "give exactly one" in message  # the command line itself: 2; its input refused: 1
    assert done.returncode == (2 if usage else 1), done.stderr
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr
    listed = excomm("tree", "lesson-2", home=home).stdout
    assert "branch" not in listed


def test_a_move_no_calendar_holds_is_refused_and_cannot_poison_the_timeline(
    home: Path, running_server: str
) -> None:
    assert excomm("start", "memo", "--id", "poison", "--paused", home=home).returncode == 0
    temporal = str(Path(sys.executable).parent / "temporal")
    far = {"kind": "incident", "incident": "ship_boarded", "subject": "x", "at": "9999-12-31T23:00-05:00"}
    signal = ["workflow", "signal", "--address", running_server, "--workflow-id", "poison", "--name", "move"]
    subprocess.run(
        [temporal, *signal, "--input", json.dumps(far)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    for _ in range(200):
        status = excomm("status", "poison", home=home).stdout
        if "refused move" in status:
            break
    assert "refused move: at: the year 9999 is outside 1900-2100" in status
    assert excomm("resume", "poison", home=home).returncode == 0
    for _ in range(200):
        if "completed" in (status := excomm("status", "poison", home=home).stdout):
            break
    assert "outcome military_action" in status  # the memo with no moves, as ever


@pytest.mark.parametrize(
    "target",
    [
        "memo",
        "timelines/plans/memo.yaml",
        "memo-1962",
        "timelines/memo-1962.yaml",
        "october-1962",
        "timelines/october-1962.yaml",
    ],
)
def test_every_command_takes_a_catalogue_name_or_a_file_of_a_plan_or_a_timeline(
    home: Path, target: str
) -> None:
    root = Path(__file__).parents[1]
    target = str(root / target) if "/" in target else target
    assert excomm("validate", target, home=home).returncode == 0
    graph = excomm("graph", target, home=home)
    assert graph.returncode == 0 and graph.stdout.startswith(("flowchart TD", "timeline")), graph.stderr
    assert excomm("dry-run", target, home=home).returncode == 0
    plan = excomm("plan", target, home=home)
    diff = excomm("diff-variant", "memo", target, home=home)
    if "october-1962" in target:  # the record runs no plan, and says so in one line
        assert plan.returncode == diff.returncode == 1
        assert plan.stderr == "excomm: error: october-1962 runs no plan: it is the record\n"
        assert graph.stdout.startswith("timeline\n")
    else:
        assert plan.returncode == 0 and "5a" in plan.stdout
        assert diff.returncode == 0 and diff.stdout == "no differences\n"


def test_runs_can_be_listed_and_cancelled_and_an_id_names_one_timeline(
    home: Path, running_server: str
) -> None:
    assert excomm("start", FIXTURE, "--id", "lesson", home=home).returncode == 0
    again = excomm("start", FIXTURE, "--id", "lesson", home=home)
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    assert again.stderr.startswith("excomm: error: timeline id 'lesson' is already taken")
    assert excomm("start", "memo-1962", "--id", "slow", "--pace", "1d=1h", home=home).returncode == 0
    running = json.loads(excomm("list", "--status", "running", "--format", "json", home=home).stdout)
    assert [r["id"] for r in running] == ["slow"] and running[0]["timeline"] == "memo-1962"
    assert excomm("cancel", "slow", home=home).stdout == "cancelled slow\n"
    twice = excomm("cancel", "slow", home=home)
    assert (
        twice.returncode == 1
        and twice.stderr == "excomm: error: timeline 'slow' is not running: it is cancelled\n"
    )
    assert excomm("list", "--status", "running", home=home).stdout == ""
    # --replace cancels and archives the old timeline: its records stay, under another id.
    for _ in range(100):
        if "completed" in excomm("status", "lesson", home=home).stdout:
            break
    assert excomm("start", FIXTURE, "--id", "lesson", "--replace", home=home).returncode == 0
    listed = json.loads(excomm("list", "--format", "json", home=home).stdout)
    archived = [r for r in listed if r["id"].startswith("lesson~archived-")]
    assert len(archived) == 1 and archived[0]["status"] == "archived"


def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a supervisor or `nohup`-like script starts it


@pytest.mark.parametrize(
    ("stop", "sigint_ignored"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGHUP, False), (signal.SIGINT, True)],
    ids=["SIGINT", "SIGTERM", "SIGHUP", "SIGINT-ignored-at-start"],
)
def test_ctrl_c_on_a_paced_replay_cancels_its_timeline_and_says_so(
    home: Path, running_server: str, stop: signal.Signals, sigint_ignored: bool
) -> None:
    # Ctrl-C, and the same from a closed terminal (SIGHUP) or a process manager (SIGTERM);
    # Ctrl-C too when started with SIGINT ignored (it once did nothing: Python keeps an
    # inherited SIG_IGN, so replay installs its own handler).
    replay = subprocess.Popen(
        [EXCOMM, "replay", "october-1962", "--pace", "1d=2s", "--id", "paced"],
        env={**os.environ, "EXCOMM_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignoring_sigint if sigint_ignored else None,
    )
    assert replay.stderr is not None
    assert replay.stderr.readline() == "excomm: timeline paced started; Ctrl-C cancels it\n"
    replay.send_signal(stop)
    _, said = replay.communicate(timeout=60)
    assert replay.returncode == 130
    assert said == "excomm: timeline paced cancelled; what it recorded stays\n"
    assert excomm("list", "--status", "running", home=home).stdout == ""
