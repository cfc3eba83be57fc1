"""Sweeps and scenario discovery: parameters by their path, sampled designs, the same table
on both runtimes, rules that find a known answer, Sobol indices that rank the inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from models.behaviour import Behaviour
from models.parameters import BadParameter, parameter, parse_range, with_settings, with_values
from models.plan import PlanDefinition, walk
from models.steps import ConsultStep
from service.analysis.discovery import discover
from service.analysis.sweep import design, sobol_indices, sweep_locally, sweep_on_temporal
from service.analysis.tables import read_table
from service.runtime.workers import build_worker
from timelines.loader import load_plan

EXCOMM = str(Path(sys.executable).parent / "excomm")


def _excomm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXCOMM_HOME": str(home / "home")}
    return subprocess.run([EXCOMM, *args], capture_output=True, text=True, timeout=120, env=env, cwd=home)


def _behaviour(plan: PlanDefinition) -> Behaviour:
    assert plan.behaviour is not None
    return plan.behaviour


def _turkey(plan: PlanDefinition) -> ConsultStep:
    return next(s for s in walk(plan.steps) if isinstance(s, ConsultStep) and s.id == "consult-turkey")


def test_any_parameter_of_a_plan_is_reached_by_its_path() -> None:
    plan = load_plan("memo-uncertain")
    changes: dict[str, Callable[[PlanDefinition], bool]] = {
        "deadline=48h": lambda p: p.deadline.total_seconds() == 48 * 3600,
        "transit.cable=6h30m": lambda p: p.transit["cable"].total_seconds() == 6.5 * 3600,
        "tracks.cuba.deadline=10d": lambda p: p.track("cuba").deadline.days == 10,
        "ladder.air_strike.after=12h": lambda p: p.ladder[2].after.total_seconds() == 12 * 3600,
        "behaviour.allies.North Atlantic Council.agree=0.5": lambda p: _behaviour(p).allies[0].agree == 0.5,
        "behaviour.soviet.cuba.options.counter.p=0.7": lambda p: _behaviour(p).soviet[0].options[1].p == 0.7,
        "steps.consult-turkey.deadline=6h": lambda p: _turkey(p).deadline.total_seconds() == 6 * 3600,
        "cohesion_cost=0.5": lambda p: p.cohesion_cost == 0.5,
    }
    for setting, holds in changes.items():
        changed = with_settings(plan, [setting])
        assert holds(changed), setting
        assert changed.title.endswith("]") and changed != plan
    # Exactly that field: everything else is the plan as written.
    halved = with_settings(plan, ["deadline=36h"])
    assert halved.model_dump(exclude={"deadline", "title"}) == plan.model_dump(exclude={"deadline", "title"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deadlin=1h..2h", "no field 'deadlin' at the plan (fields: id, version"),
        (
            "behaviour.allies.turky.agree=0..1",
            "no 'turky' in behaviour.allies (there: north_atlantic_council",
        ),
        (
            "cohesion_cost=0..2",
            "2: the plan cannot take it: cohesion_cost: Input should be less than or equal to 1",
        ),
        ("deadline=5h..2h", "the range 5h..2h is empty"),
        ("deadline=1x..2h", "'1x' is not a duration"),
        ("title=1..2", "title is text, not a number or a duration"),
        ("steps.consult-turkey=1..2", "steps.consult-turkey is a step, not a value"),
        ("deadline", "write PATH=LOW..HIGH"),
    ],
)
def test_a_bad_path_or_range_is_one_located_reason(text: str, message: str) -> None:
    with pytest.raises(BadParameter) as refused:
        parse_range(load_plan("memo-uncertain"), text)
    assert str(refused.value).startswith(message)


def test_designs_are_reproducible_from_the_seed_and_stay_in_range() -> None:
    plan = load_plan("memo-uncertain")
    ranges = [parse_range(plan, "deadline=24h..120h"), parse_range(plan, "cohesion_cost=0.1..0.5")]
    for sampler in ("lhs", "sobol", "grid"):
        points = design(ranges, 16, sampler, seed=7)
        assert points == design(ranges, 16, sampler, seed=7) and len(points) == 16
        assert all(24 <= d <= 120 and 0.1 <= c <= 0.5 for d, c in points)
    assert design(ranges, 16, "lhs", 7) != design(ranges, 16, "lhs", 8)
    assert len(design(ranges, 32, "saltelli", 7)) == 32  # N x (D + 2), N = 8
    with pytest.raises(BadParameter, match="a grid of 2 parameter"):
        design(ranges, 10, "grid", 7)
    with pytest.raises(BadParameter, match="Saltelli's scheme for 2 parameter"):
        design(ranges, 30, "saltelli", 7)


async def test_a_sweep_gives_the_same_table_on_temporal(
    dev_server: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    plan = load_plan("memo-uncertain")
    ranges = [parse_range(plan, "behaviour.soviet.cuba.options.accept.p=0.1..0.9")]
    local, _ = sweep_locally(plan, ranges, 4, 120, seed=3, workers=1)
    async with build_worker(dev_server.client, store, task_queue=task_queue):
        durable = await sweep_on_temporal(
            dev_server.client, plan, ranges, 4, 120, 3, "lhs", 1, batch=50, task_queue=task_queue
        )
    assert durable.rows() == local.rows()
    shares = [row["share.military_action"] for row in local.rows()]
    assert len(set(shares)) > 1  # the weight of acceptance does move the outcome


def test_sweep_writes_its_table_and_plot_and_a_point_is_reproducible(tmp_path: Path) -> None:
    done = _excomm(
        tmp_path,
        *("sweep", "memo-uncertain", "--vary", "behaviour.soviet.cuba.options.accept.p=0.2..0.8"),
        *("--points", "3", "--runs", "150", "--seed", "5", "--format", "json"),
        *("--table", "sweep.parquet", "--plot", "sweep.png", "--members", "members.csv"),
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    table = read_table(tmp_path / "sweep.parquet")
    assert list(table["point"]) == [0, 1, 2]
    assert list(table["share.military_action"]) == [p["share.military_action"] for p in printed["points"]]
    assert (tmp_path / "sweep.png").read_bytes().startswith(b"\x89PNG")
    assert f"plot written to {tmp_path / 'sweep.png'}" in done.stderr
    members = read_table(tmp_path / "members.csv")
    assert len(members) == 450 and set(members["point"]) == {0, 1, 2}
    # Point 1 alone, from the sweep's seed and its value.
    value = printed["points"][1]["behaviour.soviet.cuba.options.accept.p"]
    alone = _excomm(
        tmp_path,
        *("explore", "memo-uncertain", "--runs", "150", "--seed", "5", "--format", "json"),
        *("--set", f"behaviour.soviet.cuba.options.accept.p={value}"),
    )
    assert alone.returncode == 0, alone.stderr
    said = json.loads(alone.stdout)
    shares = {o["outcome"]: o["share"] for o in said["outcomes"]}
    assert shares["military_action"] == printed["points"][1]["share.military_action"]
    # Each point counts the moves its members' behaviour played that the world refused.
    assert printed["points"][1]["refused"] == said["refused"] > 0
    assert printed["points"][1]["refused.members"] == round(said["members_refused"] / 150, 6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "deadlin=1h..2h"], "invalid --vary deadlin=1h..2h: no field 'deadlin'"),
        ([], "a sweep varies at least one parameter"),
        (
            [
                "--vary",
                "deadline=24h..48h",
                "--vary",
                "cohesion_cost=0..1",
                "--sampler",
                "grid",
                "--points",
                "5",
            ],
            "--points 5: a grid of 2 parameter(s)",
        ),
        (["--vary", "deadline=24h..48h", "--table", "t.xlsx"], "invalid --table t.xlsx"),
    ],
)
def test_bad_sweeps_are_one_line_and_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    done = _excomm(tmp_path, "sweep", "memo-uncertain", "--runs", "10", "--points", "4", *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"excomm: error: {done.stderr.removeprefix('excomm: error: ')}"
    assert message in done.stderr and done.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_discovery_finds_the_box_a_constructed_table_was_made_with() -> None:
    # Military action exactly where x > 0.5 and y <= 0.3; z is noise.
    rng = np.random.default_rng(1)
    x, y, z = rng.random(4000), rng.random(4000), rng.random(4000)
    outcome = np.where((x > 0.5) & (y <= 0.3), "military_action", "negotiated_withdrawal")
    table = pd.DataFrame({"member": range(4000), "transit.cable_h": x * 10, "deadline_h": y * 100, "z": z})
    table["outcome"] = outcome
    found = discover(table, "military_action")
    best = found.rules[0]
    assert best.density == 1.0 and best.coverage == 1.0
    bounds = {(c.column, c.relation): c.value for c in best.conditions}
    assert set(bounds) == {("transit.cable_h", ">"), ("deadline_h", "<=")}
    assert abs(float(bounds["transit.cable_h", ">"]) - 5) < 0.1
    assert abs(float(bounds["deadline_h", "<="]) - 30) < 1
    assert best.text().startswith("military action in 100% of members where ")
    assert "transit.cable is above" in best.text() and "deadline is at most" in best.text()


def test_discover_explains_memo_uncertain_by_the_soviet_answer(tmp_path: Path) -> None:
    assert (
        _excomm(tmp_path, "explore", "memo-uncertain", "--runs", "800", "--members", "m.parquet").returncode
        == 0
    )
    done = _excomm(tmp_path, "discover", "m.parquet", "--outcome", "military_action")
    assert done.returncode == 0, done.stderr
    # The first answer decides most of it: never an acceptance, and no second answer to the
    # plan's reply to a counter-proposal, is military action every time.
    first = done.stdout.splitlines()[1:3]
    assert first[0].startswith(
        "  - military action in 100% of members where the Soviet answer on the cuba track is not accept"
    )
    assert first[1].startswith("    density 100.0%")


def test_sobol_indices_rank_the_input_that_drives_the_share() -> None:
    plan = load_plan("memo-uncertain")
    ranges = [parse_range(plan, "deadline=24h..120h"), parse_range(plan, "cohesion_cost=0.1..0.5")]
    points = design(ranges, 256, "saltelli", seed=2)
    table = pd.DataFrame(points, columns=["deadline_h", "cohesion_cost"])
    table.insert(0, "point", range(len(table)))
    table["share.military_action"] = (table["deadline_h"] - 24) / 96  # the deadline alone
    table["sampler"], table["seed"], table["runs"], table["variant"] = "saltelli", 2, 100, "memo-uncertain"
    table["refused"], table["refused.members"] = 3, 0.5  # what came of a point, not a parameter
    indices = sobol_indices(table, "military_action").set_index("parameter")["ST"].to_dict()
    assert set(indices) == {"deadline_h", "cohesion_cost"}
    assert indices["deadline_h"] > 0.9
    assert indices["cohesion_cost"] < 0.05
    with pytest.raises(BadParameter, match="Sobol' indices need a sweep sampled for them"):
        sobol_indices(table.assign(sampler="lhs"), "military_action")


def test_with_values_rounds_a_duration_to_whole_minutes() -> None:
    plan = load_plan("memo")
    deadline = parameter(plan, "deadline")
    assert with_values(plan, {deadline: 47.51}).deadline.total_seconds() == (47 * 60 + 31) * 60
