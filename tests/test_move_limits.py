"""A move is a stranger's bytes: bounded by admission, refused and recorded, never a wedged task.

A 1.5 MB `move` signal sent with the `temporal` CLI once failed the timeline's workflow
task for ever (its arrival event made an activity input over Temporal's 2 MB), and 250 KB
moves grew a history toward the server's 50 MB limit, which terminates a timeline.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from models.admission import Situation, admit
from models.move_limits import HISTORY_BYTES, MOVE_BYTES
from models.moves import InvalidMove
from models.simulation import initial_state
from tests.processes import excomm, excomm_server
from timelines.loader import load_timeline

NOON_26 = datetime.fromisoformat("1962-10-26T12:00-04:00")
INCIDENT: dict[str, Any] = {"kind": "incident", "incident": "aircraft_shot_down", "subject": "U-2"}


def _memo() -> Situation:
    memo = load_timeline("memo")
    return Situation(memo.plan, initial_state(memo), NOON_26)


WIDE = {f"extra{n}": "w" * 290 for n in range(60)}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (
            {**INCIDENT, "subject": "x" * 1_500_000},
            "subject: at most 300 characters (this one has 1,500,000)",
        ),
        ({**INCIDENT, "summary": "y" * 120_000}, "summary: at most 2,000 characters (this one has 120,000)"),
        (
            {**INCIDENT, "sources": ["FRUS 1961-63 v06 d65"] * 500},
            "sources: at most 20 items (this one has 500)",
        ),
        ({**INCIDENT, "sources": ["z" * 5_000]}, "sources[0]: at most 300 characters (this one has 5,000)"),
        ({**INCIDENT, **WIDE}, f"the move is over {MOVE_BYTES:,} bytes"),
        ({**INCIDENT, "subject": {"a": {"b": {"c": {"d": {"e": "deep"}}}}}}, "nested too deep"),
    ],
)
def test_a_move_larger_than_a_move_may_be_is_refused_without_echoing_it(payload: Any, reason: str) -> None:
    with pytest.raises(InvalidMove) as refused:
        admit(payload, _memo())
    said = str(refused.value)
    assert reason in said and "\n" not in said and len(said) < 200


def test_a_timeline_whose_history_is_full_takes_no_more_moves_and_says_so() -> None:
    roomy = Situation(**{**_memo().__dict__, "history_bytes": HISTORY_BYTES})
    assert admit(INCIDENT, roomy).kind == "incident"
    full = Situation(**{**_memo().__dict__, "history_bytes": HISTORY_BYTES + 1})
    with pytest.raises(InvalidMove, match=r"history has grown to 8\.0 MB, past the 8 MB .*: branch it"):
        admit(INCIDENT, full)


def test_a_move_within_the_bounds_is_taken_whole() -> None:
    move = admit({**INCIDENT, "summary": "s" * 2_000, "sources": ["FRUS 1961-63 v06 d65"] * 20}, _memo())
    assert move.summary == "s" * 2_000 and len(move.sources) == 20


@pytest.fixture
def server(home: Path) -> Iterator[str]:
    with excomm_server(home) as (address, process):
        yield address
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_an_oversized_move_signal_from_the_temporal_cli_is_refused_recorded_and_the_timeline_goes_on(
    home: Path, tmp_path: Path, server: str
) -> None:
    assert excomm("start", "memo", "--id", "flooded", "--paused", home=home).returncode == 0
    oversized = tmp_path / "one.json"
    oversized.write_text(json.dumps({**INCIDENT, "subject": "x" * 1_500_000}))
    temporal = str(Path(sys.executable).parent / "temporal")
    signal = [temporal, "workflow", "signal", "--address", server, "--workflow-id", "flooded"]
    for _ in range(2):
        subprocess.run(
            [*signal, "--name", "move", "--input-file", str(oversized)],
            check=True,
            capture_output=True,
            timeout=60,
        )
    said = excomm(
        "signal",
        "flooded",
        "incident",
        "--json",
        json.dumps({**INCIDENT, "summary": "y" * 120_000}),
        home=home,
    )
    assert said.returncode == 1
    assert (
        said.stderr
        == "excomm: error: move refused: summary: at most 2,000 characters (this one has 120,000)\n"
    )

    assert excomm("resume", "flooded", home=home).returncode == 0
    for _ in range(300):  # an instant run of the memo is done in about a second once resumed
        status = excomm("status", "flooded", home=home)
        if "completed" in status.stdout:
            break
    assert status.returncode == 0 and "Traceback" not in status.stderr
    assert "memo v3, completed" in status.stdout and "outcome military_action" in status.stdout
    refusals = [line for line in status.stdout.splitlines() if "refused move" in line]
    assert refusals == ["  refused move: subject: at most 300 characters (this one has 1,500,000)"] * 2
