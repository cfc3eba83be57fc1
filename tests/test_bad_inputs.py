"""Every bad input gets one clear line, a non-zero exit and no change of state.

A corpus of bad inputs of every kind a user has met: numbers and dates out of range,
payloads nested deep, text a terminal renderer would take for markup, special files,
an unusable environment, names that reach outside the catalogue, and ids a server
refuses. Each runs the installed `excomm` in a real process, with a deadline (a hang
fails), and checks the answer and what it left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from activities.stores import open_store
from tests.processes import EXCOMM, FIXTURE, excomm, excomm_server

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 45  # a case that takes longer has hung


@dataclass(frozen=True)
class Bad:
    """A bad input: the command, the environment it runs in, and what the answer says."""

    name: str
    args: tuple[str, ...]
    says: str  # a piece of the one line
    status: int = 1
    env: dict[str, str] = field(default_factory=dict)
    stream: str = "stderr"  # validate lists problems on stdout

    def __str__(self) -> str:
        return self.name


def _files(folder: Path) -> dict[str, str]:
    """The bad files of the corpus, made once; their paths by name, for `{name}` in args."""
    folder.mkdir(parents=True, exist_ok=True)
    memo_variant = (
        "id: {id}\nversion: 1\nextends: memo\ntitle: t\ndescription: d\nsources: [FRUS 1961-63 v11 d89]\n"
    )
    three_days = Path(FIXTURE).read_text()
    made = {
        "long-deadline": memo_variant.format(id="long") + "deadline: 100000000000w\n",
        "huge-version": memo_variant.format(id="huge").replace("version: 1", "version: " + "9" * 5000),
        "huge-float": memo_variant.format(id="hugef") + "deadline: " + "9" * 400 + ".5h\n",
        "override-steps-true": memo_variant.format(id="ovr") + "override_steps: true\n",
        "add-branches-list": memo_variant.format(id="add") + "add_branches: [a, b]\n",
        "events-true": three_days.replace("events:", "events: true\nunused:", 1),
        "record-too-long": three_days.replace("events:", "record: " + "x" * 300 + "\nevents:", 1),
        "year-9999": three_days.replace("1962-10-28T12:00-05:00", "9999-10-28T12:00-05:00"),
        "year-1": three_days.replace("1962-10-28T12:00-05:00", "0001-10-28T12:00-05:00"),
        "bad-date": three_days.replace("1962-10-28T12:00-05:00", "1962-13-45T12:00-05:00"),
        "python-tag": "!!python/object/apply:os.system ['touch /tmp/excomm-pwned']\n",
        "laughs": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        "deep-yaml": "[" * 20000 + "]" * 20000 + "\n",
        "deep-map": "a: " * 5000 + "b\n",
        "tab-indent": "id: x\n\tversion: 1\n",
        "nul-bytes": "id: x\x00\nversion: 1\n",
        "not-a-mapping": "- just\n- a list\n",
        "empty": "",
    }
    paths = {}
    for name, text in made.items():
        path = folder / f"{name}.yaml"
        path.write_text(text)
        paths[name] = str(path)
    (folder / "binary.yaml").write_bytes(b"\xff\xfe\x00bad" * 100)
    paths["binary"] = str(folder / "binary.yaml")
    (folder / "big.yaml").write_text("# padding\n" * 300_000)
    paths["big"] = str(folder / "big.yaml")
    fifo = folder / "fifo.yaml"
    if not fifo.exists():
        os.mkfifo(fifo)
    paths["fifo"] = str(fifo)
    (folder / "folder.yaml").mkdir(exist_ok=True)
    paths["folder"] = str(folder / "folder.yaml")
    (folder / "a-file").write_text("not a folder\n")
    paths["a-file"] = str(folder / "a-file")
    (folder / "bad.toml").write_text("[[[ this is not toml\n")
    paths["bad-toml"] = str(folder / "bad.toml")
    (folder / "profiles.toml").write_text('[profile.default]\naddress = "127.0.0.1:7233"\n')
    paths["profiles"] = str(folder / "profiles.toml")
    paths["deep-json"] = "[" * 50_000 + "]" * 50_000
    # 20,000 deep: a deeper object would pass the kernel's limit on one argument (128 KiB).
    paths["deep-object"] = '{"a":' * 20_000 + "1" + "}" * 20_000
    paths["missing"] = str(folder / "missing" / "plan.yaml")
    paths["no-folder"] = str(folder / "missing" / "chart.png")
    return paths


# Inputs that need no server. `{name}` in an argument is a file of the corpus.
OFFLINE = [
    # numbers and dates out of range
    Bad("at-year-9999", ("state", "october-1962", "--at", "9999-12-31T00:00-05:00"), "calendar runs", 2),
    Bad("at-year-1", ("state", "october-1962", "--at", "0001-01-01T00:00+00:00"), "calendar runs", 2),
    Bad("at-garbage", ("state", "october-1962", "--at", "tuesday"), "ISO 8601", 2),
    Bad("at-no-offset", ("state", "october-1962", "--at", "1962-10-24T12:00"), "UTC offset", 2),
    Bad(
        "diff-at-year-9999", ("diff", "october-1962", "memo-1962", "--at", "9999-01-01T00:00Z"), "calendar", 2
    ),
    Bad(
        "pace-20-digits",
        ("replay", FIXTURE, "--pace", "99999999999999999999d=1s"),
        "longer than a century",
        2,
    ),
    Bad("pace-5000-digits", ("start", FIXTURE, "--pace", "9" * 5000 + "d=1s"), "longer than a century", 2),
    Bad("pace-zero", ("replay", FIXTURE, "--pace", "1d=0s"), "must be positive", 2),
    Bad("pace-words", ("replay", FIXTURE, "--pace", "fast"), "invalid pace", 2),
    Bad("pace-nan", ("replay", FIXTURE, "--pace", "nand=1s"), "invalid pace", 2),
    Bad("runs-10-20", ("explore", "memo-uncertain", "--runs", "100000000000000000000"), "--runs", 2),
    Bad("runs-zero", ("explore", "memo-uncertain", "--runs", "0"), "--runs 0", 2),
    Bad("runs-words", ("explore", "memo-uncertain", "--runs", "many"), "--runs", 2),
    Bad("seed-negative", ("explore", "memo-uncertain", "--seed", "-1"), "--seed -1", 2),
    Bad("seed-2-64", ("dry-run", "memo-uncertain", "--seed", str(2**64)), "--seed", 2),
    Bad("batch-zero", ("explore", "memo-uncertain", "--batch", "0"), "--batch 0", 2),
    Bad("workers-negative", ("explore", "memo-uncertain", "--workers", "-3"), "--workers -3", 2),
    Bad("port-70000", ("server", "--port", "70000"), "--port 70000", 2),
    Bad("port-zero", ("server", "--port", "0"), "--port 0", 2),
    Bad("ui-port-negative", ("server", "--ui-port", "-1"), "--ui-port -1", 2),
    Bad("classroom-port-70000", ("server", "--classroom-port", "70000"), "--classroom-port 70000", 2),
    Bad("classroom-port-words", ("classroom", "--port", "ninety"), "--port", 2),
    Bad("classroom-port-negative", ("classroom", "--port", "-1"), "--port -1", 2),
    Bad("export-format", ("export", "october-1962", "--format", "pdf"), "--format 'pdf'", 2),
    Bad(
        "export-anniversary-csv",
        ("export", "october-1962", "--format", "csv", "--anniversary", "2027"),
        "--anniversary",
        2,
    ),
    Bad("export-unknown", ("export", "no-such-timeline"), "no-such-timeline"),
    Bad("after-seq-negative", ("branch", "x", "--after-seq", "-5"), "--after-seq", 2),
    Bad("deadline-10-11-weeks", ("dry-run", "{long-deadline}"), "longer than a century"),
    Bad("version-5000-digits", ("dry-run", "{huge-version}"), "E-"),
    Bad("deadline-400-digits", ("dry-run", "{huge-float}"), "longer than a century"),
    Bad("override-steps-not-a-list", ("dry-run", "{override-steps-true}"), "E-WRONG-TYPE override_steps"),
    Bad("add-branches-not-a-mapping", ("validate", "{add-branches-list}"), "E-WRONG-TYPE", stream="stdout"),
    Bad("events-not-a-list", ("dry-run", "{events-true}"), "events"),
    Bad("event-in-9999", ("dry-run", "{year-9999}"), "E-"),
    Bad("event-in-year-1", ("dry-run", "{year-1}"), "E-"),
    Bad("month-13", ("dry-run", "{bad-date}"), "E-"),
    # payloads
    Bad("json-50000-deep", ("signal", "x", "soviet_reply", "--json", "{deep-json}"), "--json", 2),
    Bad("json-object-20000-deep", ("signal", "x", "soviet_reply", "--json", "{deep-object}"), "--json", 2),
    Bad("json-garbled", ("signal", "x", "soviet_reply", "--json", "{track: cuba}"), "not valid JSON", 2),
    Bad("json-array", ("signal", "x", "soviet_reply", "--json", "[1, 2]"), "JSON object", 2),
    Bad(
        "branch-json-deep",
        ("branch", "x", "--after-seq", "1", "--move", "incident", "--json", "{deep-json}"),
        "--json 1",
        2,
    ),
    Bad("branch-json-alone", ("branch", "x", "--after-seq", "1", "--json", "{}"), "belongs to a --move", 2),
    Bad("branch-no-fork-point", ("branch", "x"), "exactly one of --at or --after-seq", 2),
    # files: unsafe, malformed, special
    Bad("python-tag", ("dry-run", "{python-tag}"), "E-YAML"),
    Bad("billion-laughs", ("dry-run", "{laughs}"), "E-YAML"),
    Bad("yaml-20000-deep", ("dry-run", "{deep-yaml}"), "E-YAML"),
    Bad("yaml-map-5000-deep", ("dry-run", "{deep-map}"), "E-YAML"),
    Bad("tab-indent", ("dry-run", "{tab-indent}"), "E-YAML"),
    Bad("nul-bytes", ("dry-run", "{nul-bytes}"), "E-"),
    Bad("not-a-mapping", ("graph", "{not-a-mapping}"), "E-WRONG-TYPE"),
    Bad("empty-file", ("plan", "{empty}"), "E-EMPTY"),
    Bad("binary-file", ("dry-run", "{binary}"), "E-ENCODING"),
    Bad("three-megabytes", ("dry-run", "{big}"), "E-TOO-LARGE"),
    Bad("fifo", ("dry-run", "{fifo}"), "not a regular file"),
    Bad("fifo-validate", ("validate", "{fifo}"), "not a regular file", stream="stdout"),
    Bad("dev-zero", ("dry-run", "/dev/zero"), "not a regular file"),
    Bad(
        "dev-zero-behaviour",
        ("branch", "x", "--after-seq", "1", "--behaviour", "/dev/zero"),
        "not a regular file",
    ),
    Bad("a-folder", ("graph", "{folder}"), "not a regular file"),
    Bad("missing-file", ("dry-run", "{missing}"), "E-READ"),
    Bad("proc-file", ("dry-run", "/proc/self/status"), "more: excomm validate /proc/self/status"),
    # names and paths
    Bad("name-reaching-out", ("plan", "../../../x/evilplan"), "E-READ"),
    Bad("name-with-dots", ("dry-run", ".."), "unknown timeline"),
    Bad("name-300-characters", ("plan", "x" * 300), "unknown timeline"),
    Bad("record-name-300-characters", ("dry-run", "{record-too-long}"), "E-UNKNOWN-RECORD"),
    Bad("unknown-name", ("replay", "octobr-1962"), "did you mean 'october-1962'"),
    Bad("unknown-citation", ("source", "Somebody's blog"), "no source"),
    Bad("timeline-without-plan", ("diff-variant", "memo", "october-1962"), "runs no plan"),
    Bad(
        "plot-missing-folder",
        ("explore", "memo-uncertain", "--runs", "10", "--plot", "{no-folder}"),
        "no folder",
    ),
    Bad(
        "plot-bad-suffix",
        ("explore", "memo-uncertain", "--runs", "10", "--plot", "chart.pdf"),
        ".png or .svg",
        2,
    ),
    Bad("format-yaml", ("events", "october-1962", "--format", "yaml"), "--format", 2),
    Bad("as-cuba", ("state", "october-1962", "--as", "cuba"), "--as", 2),
    Bad("status-bogus", ("list", "--status", "sleeping"), "--status", 2),
    Bad("unknown-command", ("repaly", "october-1962"), "did you mean 'replay'", 2),
    Bad("unknown-option", ("replay", "october-1962", "--pase", "1d=1s"), "did you mean --pace", 2),
    Bad("markup-in-name", ("dry-run", "[bold]mk"), "unknown timeline '[bold]mk'"),
    Bad("markup-in-path", ("dry-run", "[/bold]"), "[/bold]:1:1: E-READ"),
    Bad("escape-in-name", ("dry-run", "\x1b[2J\x1b[31mred"), "unknown timeline"),
    # the environment
    Bad("home-is-a-file", ("replay", FIXTURE), "EXCOMM_HOME", env={"EXCOMM_HOME": "{a-file}"}),
    Bad("store-is-a-folder", ("list",), "event store", env={"EXCOMM_EVENT_STORE": "{folder}"}),
    Bad("log-level-bogus", ("replay", FIXTURE), "EXCOMM_LOG_LEVEL", env={"EXCOMM_LOG_LEVEL": "LOUD"}),
    Bad(
        "address-malformed",
        ("status", "x"),
        "invalid Temporal address",
        1,
        env={"TEMPORAL_ADDRESS": "not a host:::"},
    ),
    Bad("address-nobody-home", ("status", "x"), "cannot reach", 3, env={"TEMPORAL_ADDRESS": "127.0.0.1:1"}),
    Bad("config-not-toml", ("status", "x"), "configuration", env={"TEMPORAL_CONFIG_FILE": "{bad-toml}"}),
    Bad(
        "profile-missing",
        ("status", "x"),
        "configuration",
        env={"TEMPORAL_CONFIG_FILE": "{profiles}", "TEMPORAL_PROFILE": "nowhere"},
    ),
    Bad(
        "tls-cert-missing",
        ("status", "x"),
        "certificate",
        env={
            "TEMPORAL_ADDRESS": "127.0.0.1:7233",
            "TEMPORAL_TLS_CLIENT_CERT_PATH": "{missing}",
            "TEMPORAL_TLS_CLIENT_KEY_PATH": "{missing}",
        },
    ),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _files(tmp_path_factory.mktemp("corpus"))


def _snapshot(folder: Path) -> dict[str, int]:
    """What is in a folder: every file's size, so a change of state shows."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def _run(case: Bad, corpus: dict[str, str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    args = [arg.format(**corpus) if "{" in arg and arg.strip("{}") in corpus else arg for arg in case.args]
    env = {**os.environ, "EXCOMM_HOME": str(home)}
    env.update({key: value.format(**corpus) for key, value in case.env.items()})
    return subprocess.run(
        [EXCOMM, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        stdin=subprocess.DEVNULL,
    )


def _one_clear_line(case: Bad, done: subprocess.CompletedProcess[str]) -> None:
    said = done.stdout if case.stream == "stdout" else done.stderr
    assert done.returncode == case.status, f"{case}: exit {done.returncode}: {done.stderr or done.stdout}"
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert said.count("\n") == 1 and said.endswith("\n"), f"{case}: not one line: {said!r}"
    assert case.says in said, f"{case}: {said!r}"
    assert "\x1b" not in said  # nothing a terminal would obey
    if case.stream == "stderr":
        assert not done.stdout, done.stdout


@pytest.mark.parametrize("case", OFFLINE, ids=str)
def test_a_bad_input_gets_one_line_a_status_and_changes_nothing(
    case: Bad, corpus: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    before = _snapshot(tmp_path)
    done = _run(case, corpus, home, tmp_path)
    _one_clear_line(case, done)
    assert _snapshot(tmp_path) == before, f"{case} changed {tmp_path}"
    assert not Path("/tmp/excomm-pwned").exists()


# Inputs a running server refuses: a finished timeline, a taken id, an unknown one.
ONLINE = [
    Bad("status-unknown-id", ("status", "lesson-4"), "did you mean 'lesson-1'?"),
    # Ids a terminal renderer would take for markup or escapes: refused as ids, shown as text.
    Bad("status-markup-id", ("status", "mk[/]"), "invalid id 'mk[/]'"),
    Bad("status-escape-id", ("status", "\x1b[31mred"), "invalid id '\\x1b[31mred'"),
    Bad("status-markup-run-id", ("status", "mk[b]"), "invalid id 'mk[b]'"),
    Bad("events-unknown-id", ("events", "no-such-run"), "no timeline 'no-such-run'"),
    Bad("cancel-unknown-id", ("cancel", "no-such-run"), "no timeline"),
    Bad("cancel-finished", ("cancel", "finished"), "not running: it is completed"),
    Bad(
        "signal-finished",
        ("signal", "finished", "incident", "--json", '{"incident": "ship_boarded"}'),
        "has ended (completed)",
    ),
    Bad("pause-finished", ("pause", "finished"), "has ended (completed)"),
    Bad("step-day-running", ("step-day", "lesson-1"), "not paused"),
    Bad("signal-unknown-kind", ("signal", "lesson-1", "telegram"), "move refused"),
    Bad(
        "signal-bad-field",
        ("signal", "lesson-1", "incident", "--json", '{"incident": "tea_party"}'),
        "move refused",
    ),
    Bad(
        "signal-year-9999",
        (
            "signal",
            "lesson-1",
            "incident",
            "--json",
            '{"incident": "ship_boarded", "at": "9999-01-01T00:00:00-05:00"}',
        ),
        "move refused",
    ),
    Bad("start-taken-id", ("start", FIXTURE, "--id", "finished"), "already taken"),
    Bad("replay-taken-id", ("replay", FIXTURE, "--id", "lesson-1"), "already taken"),
    Bad("branch-taken-id", ("branch", "finished", "--after-seq", "2", "--id", "lesson-1"), "already taken"),
    Bad(
        "branch-parent-id", ("branch", "finished", "--after-seq", "2", "--id", "finished"), "its parent's id"
    ),
    Bad("branch-beyond-end", ("branch", "finished", "--after-seq", "9999"), "beyond the end"),
    Bad("branch-unknown-parent", ("branch", "no-such-run", "--after-seq", "1"), "no timeline"),
    Bad(
        "branch-bad-move",
        ("branch", "finished", "--after-seq", "2", "--move", "soviet_reply", "--json", '{"track": "cuba"}'),
        "missing field 'answer'",
    ),
    Bad("tree-unknown-id", ("tree", "no-such-run"), "no recorded timeline"),
    Bad("diff-unknown-id", ("diff", "finished", "no-such-run"), "no timeline 'no-such-run'"),
    Bad(
        "explore-no-worker",
        ("explore", "memo-uncertain", "--runtime", "temporal", "--workers", "0", "--runs", "10"),
        "no worker polls",
        env={"EXCOMM_TASK_QUEUE": "nobody-polls-this"},
    ),
]


@pytest.fixture(scope="module")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("online") / "home"
    with excomm_server(home):
        assert excomm("start", FIXTURE, "--id", "lesson-1", "--pace", "1d=1h", home=home).returncode == 0
        assert excomm("replay", FIXTURE, "--id", "finished", home=home).returncode == 0
        yield home


Recorded = tuple[tuple[str, str | None, int], ...]
Listed = tuple[tuple[str, str], ...]


def _server_state(home: Path) -> tuple[Recorded, Listed]:
    store = open_store(home / "events.sqlite3")
    recorded = tuple((t.timeline_id, t.status, len(store.events(t.timeline_id))) for t in store.timelines())
    listed = excomm("list", "--format", "json", home=home)
    assert listed.returncode == 0, listed.stderr
    runs = tuple(sorted((r["id"], r["status"]) for r in json.loads(listed.stdout)))
    return recorded, runs


@pytest.mark.parametrize("case", ONLINE, ids=str)
def test_a_request_the_server_refuses_gets_one_line_and_changes_nothing(
    case: Bad, corpus: dict[str, str], server_home: Path, tmp_path: Path
) -> None:
    before = _server_state(server_home)
    done = _run(case, corpus, server_home, tmp_path)
    _one_clear_line(case, done)
    after = _server_state(server_home)
    # lesson-1 runs on (its clock moves, its events grow): compare what the case could break.
    assert [r for r in after[1] if r[0] != "lesson-1"] == [r for r in before[1] if r[0] != "lesson-1"]
    assert [t for t in after[0] if t[0] != "lesson-1"] == [t for t in before[0] if t[0] != "lesson-1"]


def test_the_corpus_holds_at_least_sixty_bad_inputs() -> None:
    assert len(OFFLINE) + len(ONLINE) >= 60
    assert len({case.name for case in OFFLINE + ONLINE}) == len(OFFLINE) + len(ONLINE)
