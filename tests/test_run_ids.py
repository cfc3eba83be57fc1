"""Run ids are names: an id that looks like a catalogue name, a path or a file is refused.

`excomm replay october-1962 --id memo` was accepted, and then `events memo` showed the
catalogue's plan (56 events), not the run's 164, without a word; ids `..`, `../x`,
`a/../b` and `x.yaml` were accepted and could never be read back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.runs import ids as run_ids
from tests.processes import FIXTURE, excomm


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("memo", "memo is a timeline of the catalogue"),
        ("october-1962", "october-1962 is a timeline of the catalogue"),
        ("..", "no '..' in an id"),
        ("../x", "no / in it"),
        ("a/../b", "no / in it"),
        ("x.yaml", "it looks like a file's name (.yaml)"),
        ("notes.CSV", "it looks like a file's name (.csv)"),
        ("-rf", "starting with a letter or a digit"),
        ("with space", "letters, digits and - _ . ~ :"),
        ("x" * 201, "at most 200 characters"),
        ("", "not empty"),
    ],
)
def test_an_id_that_is_not_a_name_is_refused_saying_why(given: str, why: str) -> None:
    found = run_ids.problem(given)
    assert found is not None and why in found


@pytest.mark.parametrize(
    "good", ["lesson", "what-if.branch-3cb0aa", "memo-20261207-011000-3cb0", "x~archived-1"]
)
def test_names_runs_really_have_are_ids(good: str) -> None:
    assert run_ids.problem(good) is None


@pytest.mark.parametrize("given", ["memo", "../x", "x.yaml"])
def test_replay_with_an_id_that_is_not_a_name_exits_1_in_one_line_and_starts_nothing(
    given: str, home: Path
) -> None:
    ran = excomm("replay", FIXTURE, "--id", given, home=home)
    assert ran.returncode == 1
    assert ran.stderr.startswith(f"excomm: error: invalid id {given!r}: ") and ran.stderr.count("\n") == 1
    assert ran.stdout == "" and not home.exists()  # no server started, nothing recorded


def test_commands_that_take_a_run_refuse_an_id_that_is_not_a_name(home: Path) -> None:
    for command in (("status", "a..b"), ("cancel", "a..b"), ("tree", "a..b"), ("events", "a..b")):
        ran = excomm(*command, home=home)
        assert (ran.returncode, ran.stderr) == (1, "excomm: error: invalid id 'a..b': no '..' in an id\n")
