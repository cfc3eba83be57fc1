"""The notebook API as an analyst meets it in a fresh kernel: what the command line does,
the same checks, one kind of error in one line naming parameters, Washington datetimes."""

from __future__ import annotations

import json
import pydoc
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from service.analysis import notebook as ax

ROOT = Path(__file__).resolve().parent.parent


def _fresh(code: str) -> dict[str, Any]:
    """Run `code` in a new interpreter, as a fresh kernel would, and read back what it
    printed last as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", "from service.analysis import notebook as ax\n" + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_a_branch_with_a_behaviour_and_a_seed_works_in_a_fresh_kernel() -> None:
    found = _fresh(
        "import json\n"
        "run = ax.dry_run('memo-1962')\n"
        "what_if = ax.branch(run, at='1962-10-27T08:00-04:00', behaviour='memo-uncertain', seed=3)\n"
        "again = ax.branch(run, at='1962-10-27T08:00-04:00', behaviour='memo-uncertain', seed=3)\n"
        "kept = [e for e in what_if.log if e.seq <= what_if.definition.fork_seq]\n"
        "dumped = lambda events: [e.model_dump_json() for e in events]\n"
        "print(json.dumps({'outcome': what_if.outcome, 'same': what_if.log == again.log,\n"
        "  'past': dumped(kept) == dumped(run.log[:len(kept)]),\n"
        "  'kept': len(kept), 'behaviour': what_if.definition.played_by, 'events': len(what_if.log)}))"
    )
    assert found["same"] and found["past"]  # seeded, and the parent's past untouched
    assert found["kept"] > 0 and found["events"] > found["kept"]
    assert str(found["behaviour"]).startswith("memo-uncertain (seed 3) from 27 Oct 1962")
    assert found["outcome"] in ("negotiated_withdrawal", "military_action", None)


@pytest.mark.parametrize(
    ("call", "says"),
    [
        ("ax.explore('memo-uncertain', runs=0)", "invalid runs 0: an ensemble has from 1 to"),
        ("ax.sweep('memo-uncertain', {'deadline': '24h..120h'}, sampler='lhd')", "invalid sampler 'lhd'"),
        ("ax.member('memo-uncertain', -1, 7)", "invalid index -1: members are numbered from 0"),
        ("ax.dry_run('memo', seed=-1)", "invalid seed -1"),
        ("ax.dry_run('no-such-plan')", "no-such-plan"),
        (
            "ax.branch(ax.dry_run('memo'), at='1962-10-27T08:00')",
            "invalid at '1962-10-27T08:00': add the UTC",
        ),
        (
            "ax.branch(ax.dry_run('memo'), at='1962-10-27T20:30-04:00', moves=[{'kind': 'soviet_reply', "
            "'track': 'cuba', 'answer': 'maybe'}])",
            "moves[0]",
        ),
        ("ax.dry_run('memo-uncertain', settings={'deadline': 'soon'})", "settings"),
        ("ax.sweep('memo-uncertain', {})", "a sweep varies at least one parameter: vary PATH=LOW..HIGH"),
        ("ax.discover(ax.explore('memo-uncertain', runs=50).members, min_leaf=0.7)", "invalid min_leaf 0.7"),
        ("ax.branch(ax.dry_run('memo'), at=12345)", "invalid at 12345"),
        (
            "ax.explore('memo-uncertain', runs=5).plot('/no/such/folder/fan.png')",
            "there is no folder /no/such/folder",
        ),
        ("ax.explore('memo-uncertain', runs=5).plot('fan.gif')", "the file must end in .png or .svg"),
        ("ax.dry_run('tests/variants/malformed/bad-probability.yaml')", "bad-probability.yaml:"),
        ("ax.open('no-such-run')", "unknown timeline 'no-such-run'"),
        (
            "ax.sweep('memo-uncertain', 'deadline=24h..120h')",
            "invalid vary: a mapping of each parameter's path",
        ),
        (
            "ax.branch(ax.dry_run('memo-1962'), at='1962-10-27T08:00-04:00', behaviour='memo-uncertian')",
            "invalid behaviour 'memo-uncertian': unknown timeline",
        ),
        ("ax.branch(ax.dry_run('memo'), at='1962-10-27T08:00-04:00', moves={'kind': 'x'})", "invalid moves"),
        ("ax.branch(ax.dry_run('memo'), at='1950-01-01T00:00-05:00')", "fork point before the start"),
        ("ax.sobol(ax.explore('memo-uncertain', runs=20).members)", "sampled for them with sampler saltelli"),
    ],
)
def test_bad_input_raises_the_one_excomm_error_in_one_line_naming_parameters(call: str, says: str) -> None:
    found = _fresh(
        "import json\n"
        "try:\n"
        f"    {call}\n"
        "    print(json.dumps({'raised': None}))\n"
        "except ax.ExcommError as exc:\n"
        "    print(json.dumps({'raised': 'ExcommError', 'message': str(exc)}))\n"
    )
    assert found["raised"] == "ExcommError", found
    message = str(found["message"])
    assert says in message
    assert "\n" not in message and "--" not in message  # one line, no flag


def test_every_instant_column_of_every_frame_is_timezone_aware_in_washington(tmp_path: Path) -> None:
    run = ax.dry_run("memo-uncertain", seed=7)
    ensemble = ax.explore("memo-uncertain", runs=40, seed=1)
    result = ax.sweep("memo-uncertain", {"deadline": "24h..120h"}, points=2, runs=20, seed=1)
    path = tmp_path / "members.parquet"
    ensemble.members.to_parquet(path)
    frames = {
        "events": run.events,
        "states": run.states,
        "members": ensemble.members,
        "sweep members": result.members,
        "read": ax.read(path),
        "open": ax.open("october-1962").events,
    }
    checked = 0
    for name, frame in frames.items():
        for column in frame.columns:
            if column == "at" or str(column).endswith(("_at", ".at")):
                assert isinstance(frame[column].dtype, pd.DatetimeTZDtype), (
                    name,
                    column,
                    frame[column].dtype,
                )
                assert str(frame[column].dt.tz) == "America/New_York"
                checked += 1
    assert checked >= 6
    deadlines = ax.dry_run("memo-1962").events["deadline"]  # an instant that is not an `at`
    assert isinstance(deadlines.dtype, pd.DatetimeTZDtype) and deadlines.notna().any()
    # Mixed EDT and EST offsets read as one instant each: the first event of 14 Oct is
    # 14 Oct in Washington, and the record's last events are in EST.
    record = frames["open"]
    assert record["at"].is_monotonic_increasing
    assert {str(t.tzname()) for t in record["at"]} == {"EDT", "EST"}


def test_help_lists_every_public_name_with_a_docstring_and_an_example() -> None:
    text = pydoc.render_doc(ax, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    for name in ax.__all__:
        found = getattr(ax, name)
        assert name in text
        assert (found.__doc__ or "").strip(), name
    for name in (
        "branch",
        "discover",
        "dry_run",
        "explore",
        "member",
        "open",
        "read",
        "run",
        "sobol",
        "sweep",
    ):
        assert re.search(r">>> .*\bax\.", getattr(ax, name).__doc__ or ""), name  # an example
    for prop in (ax.Run.events, ax.Run.states, ax.Ensemble.members, ax.SweepResult.points):
        assert isinstance(prop, property) and (prop.__doc__ or "").strip()


def test_discovery_says_what_it_counts_and_its_depth_and_leaf_change_the_rules() -> None:
    members = ax.explore("memo-uncertain", runs=2000, seed=7).members
    hits = int((members["outcome"] == "military_action").sum())
    coarse = ax.discover(members, "military_action", rules=5)
    fine = ax.discover(members, "military_action", rules=5, depth=5, min_leaf=0.005)
    for rules in (coarse, fine):
        assert (rules["hits"] <= rules["members"]).all()
        assert (rules["outcome_members"] == hits).all()
        assert ((rules["density"] - rules["hits"] / rules["members"]).abs() < 1e-3).all()
        assert ((rules["coverage"] - rules["hits"] / hits).abs() < 1e-3).all()
        for rule, row in zip(rules["rule"], rules.itertuples(), strict=True):
            assert f"({row.hits:,} of {hits:,}), in a box of {row.members:,} members" in rule
    assert (coarse["members"] >= 0.02 * len(members)).all()
    assert list(fine["conditions"]) != list(coarse["conditions"])  # the leaf and depth matter


def test_sobol_indices_of_any_saltelli_sample_table(tmp_path: Path) -> None:
    result = ax.sweep(
        "memo-uncertain",
        {"deadline": "24h..120h", "transit.cable": "5m..8h"},
        points=8,
        runs=30,
        seed=1,
        sampler="saltelli",
        members=False,
    )
    from_frame = ax.sobol(result.points)
    path = tmp_path / "sweep.csv"
    result.points.to_csv(path, index=False)
    from_file = ax.sobol(path)
    assert list(from_frame["parameter"]) == ["deadline_h", "transit.cable_h"]
    pd.testing.assert_frame_equal(from_frame, from_file, atol=1e-9)


def test_a_swept_weight_is_shown_as_the_probability_it_gives() -> None:
    result = ax.sweep(
        "memo-uncertain",
        {"behaviour.soviet.cuba.options.accept.p": "0.1..0.9"},
        points=3,
        runs=20,
        seed=1,
        sampler="grid",
        members=False,
    )
    points = result.points
    weights = points["behaviour.soviet.cuba.options.accept.p"]
    chances = points["behaviour.soviet.cuba.options.accept.probability"]
    assert list(weights) == [0.1, 0.5, 0.9]
    # Weights relative to the other answers': a weight of 0.9 is not a 90% chance.
    assert all(0 < c < 1 for c in chances) and list(chances) == sorted(chances)
    assert chances.iloc[-1] < 0.9 and chances.iloc[0] > 0.1


def test_the_settings_in_force_are_carried_by_the_ensemble() -> None:
    ensemble = ax.explore("memo-uncertain", runs=20, seed=1, settings={"transit.cable": "8h"})
    assert ensemble.table.settings == ["transit.cable=8h"]


def test_the_fan_shows_every_outcome_and_rung_with_intervals() -> None:
    fan = ax.explore("memo-uncertain", runs=300, seed=1).fan
    assert list(fan.columns) == ["day", "kind", "name", "members", "share", "low", "high"]
    outcomes = set(fan[fan["kind"] == "outcome"]["name"])
    assert outcomes == {"military_action", "negotiated_withdrawal"}
    assert (fan["low"] <= fan["share"]).all() and (fan["share"] <= fan["high"]).all()
    last = fan.groupby("name")["share"].last()
    table = ax.explore("memo-uncertain", runs=300, seed=1).outcomes.set_index("outcome")["share"]
    for outcome in outcomes:
        assert last[outcome] == pytest.approx(table[outcome])  # by the last day, the table's share


def test_a_durable_run_from_a_notebook_reads_back_by_its_id_even_inside_a_running_event_loop() -> None:
    # The kernel of a notebook runs an event loop: `ax.run` is called from inside one here.
    found = _fresh(
        "import asyncio, json\n"
        "async def cell():\n"
        "    return ax.run('memo-1962', run_id='from-a-notebook')\n"
        "seeded = ax.run('memo-uncertain', seed=5, settings={'deadline': '30h'}, run_id='seeded')\n"
        "opened = ax.open('seeded')\n"
        "fork = ax.branch(opened, after_seq=40, moves=[])\n"
        "own = opened.definition.model_dump() == seeded.definition.model_dump()\n"
        "own = own and opened.rules == seeded.rules\n"
        "dumped = lambda run: [e.model_dump_json() for e in run.log]\n"
        "kept = dumped(fork)[:40] == dumped(seeded)[:40]\n"
        "durable = asyncio.run(cell())\n"
        "again = ax.open('from-a-notebook')\n"
        "local = ax.dry_run('memo-1962')\n"
        "print(json.dumps({'id': durable.run_id, 'outcome': durable.outcome, 'events': len(durable.log),\n"
        "  'same': dumped(durable) == dumped(again) == dumped(local), 'own': own, 'kept': kept,\n"
        "  'aware': str(again.events['at'].dtype)}))"
    )
    assert found["id"] == "from-a-notebook"
    assert found["same"]  # the durable run, read back, is the in-process run event for event
    # A run opened by its id is branched from its own definition (seed, settings, rules).
    assert found["own"] and found["kept"]
    assert found["outcome"] == "negotiated_withdrawal" and found["events"] > 100
    assert str(found["aware"]).startswith("datetime64[") and found["aware"].endswith(", America/New_York]")


def test_the_cells_of_a_two_parameter_map_tile_the_swept_square() -> None:
    import numpy as np

    from service.analysis.plot import _MARGIN, _voronoi_cells

    def area(cell: list[tuple[float, float]]) -> float:
        xs, ys = np.array([p[0] for p in cell]), np.array([p[1] for p in cell])
        # The regions' vertices come in order around the cell (convex), so the shoelace holds.
        return float(abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))) / 2)

    grid = np.array([[x, y] for x in (0.0, 0.5, 1.0) for y in (0.0, 0.5, 1.0)])
    scattered = np.array([[0.1, 0.2], [0.8, 0.3], [0.4, 0.9]])
    on_a_line = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    for points in (grid, scattered, on_a_line):
        cells = _voronoi_cells(points)
        assert cells is not None and len(cells) == len(points)
        side = 1 + 2 * _MARGIN
        assert sum(area(c) for c in cells) == pytest.approx(side**2)
        assert all(-_MARGIN - 1e-9 <= v <= 1 + _MARGIN + 1e-9 for c in cells for p in c for v in p)


@pytest.mark.parametrize(("points", "sampler"), [(4, "grid"), (9, "grid"), (3, "lhs"), (2, "lhs")])
def test_a_two_parameter_sweep_draws_its_map(tmp_path: Path, points: int, sampler: str) -> None:
    result = ax.sweep(
        "memo-uncertain",
        {"deadline": "24h..120h", "transit.cable": "5m..8h"},
        points=points,
        runs=10,
        sampler=sampler,
        members=False,
    )
    drawn = result.plot(tmp_path / "map.png")
    assert drawn.read_bytes().startswith(b"\x89PNG")


def test_a_result_shows_itself_in_a_line_not_megabytes() -> None:
    run = ax.dry_run("memo-uncertain", seed=7)
    ensemble = ax.explore("memo-uncertain", runs=50, seed=1)
    result = ax.sweep("memo-uncertain", {"deadline": "24h..120h"}, points=2, runs=10, members=False)
    assert repr(run) == f"<Run memo-uncertain: {len(run.log)} events, outcome {run.outcome}>"
    assert repr(ensemble).startswith("<Ensemble memo-uncertain: 50 members, seed 1: ")
    assert repr(result) == "<SweepResult memo-uncertain: 2 points (lhs) over deadline, 10 members each>"
