"""The command line behaves like the tools people know: usage errors in one line with a
suggestion, --version, help in words, completion, exit statuses, unpadded text."""

from __future__ import annotations

import os
import re
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.processes import EXCOMM, excomm

COMMANDS = [
    *("events", "state", "timelines", "source", "validate", "graph", "diff-variant", "dry-run"),
    *("explore", "plan", "replay", "run", "signal", "start", "status", "list", "cancel"),
    *("pause", "resume", "step-day", "branch", "diff", "tree", "server", "worker"),
]
BOX = re.compile(r"[╭╮╰╯│─]")


def test_a_misspelled_command_exits_2_with_one_line_suggesting_the_right_one(home: Path) -> None:
    done = excomm("repaly", "october-1962", home=home)
    assert done.returncode == 2
    assert done.stderr == "excomm: error: no such command 'repaly' (did you mean 'replay'?)\n"
    assert not home.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "--pase", "1d=1s"], "excomm: error: no such option: --pase (did you mean --pace?)\n"),
        (["replay"], "excomm: error: missing argument 'TIMELINE'\n"),
        (["explore", "memo-uncertain", "--runs", "many"], "excomm: error: invalid value for '--runs'"),
        (["server", "--port", "70000"], "excomm: error: invalid --port 70000: between 1 and 65535\n"),
        (["state", "october-1962", "--at", "9999-01-01T00:00+00:00"], "excomm: error: invalid --at"),
        (["replay", "october-1962", "--pace", "99999999999999999999d=1s"], "excomm: error: invalid pace"),
        (["list", "--format", "yaml"], "excomm: error: invalid --format 'yaml': use table or json\n"),
    ],
)
def test_usage_errors_are_one_line_with_status_2_and_no_boxes(
    home: Path, args: list[str], message: str
) -> None:
    done = excomm(*args, home=home)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr
    assert not BOX.search(done.stderr) and not done.stdout


def test_version_prints_the_installed_version(home: Path) -> None:
    done = excomm("--version", home=home)
    assert done.returncode == 0
    assert done.stdout == f"excomm {version('excomm')}\n"


def test_python_dash_m_cli_is_the_same_command(home: Path) -> None:
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cli", "--version"],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "EXCOMM_HOME": str(home)},
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, f"excomm {version('excomm')}\n")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_words_not_python_types(home: Path, command: str) -> None:
    done = excomm(command, "--help", home=home)
    assert done.returncode == 0, done.stderr
    assert not re.search(r"<(str|bool|int|float|path|Path)\b", done.stdout), done.stdout
    assert not BOX.search(done.stdout)
    if command == "start":
        assert re.search(r"^\s+--paused\s+start with the clock paused", done.stdout, re.M)
        assert re.search(r"^\s+--pace PACE\s", done.stdout, re.M)


def test_completion_can_be_shown_and_completes_commands_and_timelines(home: Path) -> None:
    script = excomm("--show-completion", "bash", home=home)
    assert script.returncode == 0 and "_excomm_completion" in script.stdout
    complete = {"_EXCOMM_COMPLETE": "complete_bash", "COMP_CWORD": "2"}
    timelines = excomm(home=home, COMP_WORDS="excomm replay oct", **complete)
    assert timelines.stdout.split() == ["october-1962"]
    commands = excomm(home=home, COMP_WORDS="excomm rep", **{**complete, "COMP_CWORD": "1"})
    assert commands.stdout.split() == ["replay"]


@pytest.mark.parametrize(
    "args",
    [
        ["dry-run", "memo"],
        ["plan", "memo"],
        ["events", "october-1962"],
        ["diff-variant", "memo", "memo-halved"],
        ["explore", "memo-uncertain", "--runs", "50"],
        ["timelines"],
    ],
)
def test_text_piped_to_a_file_has_no_trailing_padding(home: Path, args: list[str]) -> None:
    done = excomm(*args, home=home)
    assert done.returncode == 0, done.stderr
    padded = [line for line in done.stdout.splitlines() if line != line.rstrip()]
    assert not padded, padded[:3]


def test_a_command_needing_a_server_with_none_running_exits_3(home: Path) -> None:
    done = subprocess.run(
        [EXCOMM, "status", "lesson"],
        env={**os.environ, "EXCOMM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert done.stderr.startswith("excomm: error: no Temporal server is running")


def test_help_lists_the_commands_grouped_by_user_in_the_order_a_newcomer_meets_them(home: Path) -> None:
    done = excomm("--help", home=home)
    assert done.returncode == 0
    sections: dict[str, list[str]] = {}
    current = None
    for line in done.stdout.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            sections[current] = []
        elif current is not None and line.startswith("  ") and line.strip():
            sections[current].append(line.split()[0])
    users = [name.split(":")[0] for name in sections if ":" in name]
    assert users == ["Educators", "Designers", "Analysts", "Operators"]
    by_user = {name.split(":")[0]: commands for name, commands in sections.items()}
    assert by_user["Educators"][0] == "replay"  # the Quickstart's command comes first
    assert {"classroom", "export", "source"} <= set(by_user["Educators"])
    assert {"validate", "plan", "graph", "dry-run"} <= set(by_user["Designers"])
    assert {"run", "explore", "sweep", "discover", "branch", "signal"} <= set(by_user["Analysts"])
    assert {"server", "worker", "status", "list", "store"} <= set(by_user["Operators"])
    listed = [c for commands in by_user.values() for c in commands]
    assert len(listed) == len(set(listed))  # each command in one group
