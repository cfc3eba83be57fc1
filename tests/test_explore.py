"""Ensembles: seeded members, a table that does not depend on how the work was split."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.ensemble import member, member_seeds, run_batch, run_recorded, tally_outcome, wilson
from models.simulation import simulate
from service.analysis.explore import explore_locally
from timelines.loader import load_plan, plan_of

EXCOMM = str(Path(sys.executable).parent / "excomm")
RUN_ONLY = {"runtime", "workers", "elapsed_s"}


def _comparable(table: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in table.items() if k not in RUN_ONLY}


def test_member_seeds_are_distinct_and_reproducible() -> None:
    seeds = member_seeds(1, 5000)
    assert len(set(seeds)) == 5000
    assert seeds[:10] == member_seeds(1, 10)
    assert seeds != member_seeds(2, 5000)


def test_the_table_is_the_same_however_the_work_is_split() -> None:
    plan = load_plan("memo-uncertain")
    one = explore_locally(plan, 600, seed=3, workers=1).model_dump()
    two = explore_locally(plan, 600, seed=3, workers=2).model_dump()
    assert _comparable(one) == _comparable(two)
    assert sum(o["runs"] for o in one["outcomes"]) == 600


def test_a_member_stopped_early_counts_as_its_full_run() -> None:
    plan = load_plan("memo-uncertain")
    for seed in member_seeds(9, 40):
        full = simulate(member(plan, seed))
        assert run_batch(plan, [seed]) == tally_outcome(full)


def test_wilson_interval_brackets_the_share() -> None:
    low, high = wilson(45, 100)
    assert low < 0.45 < high and round(high - low, 2) == 0.19


def test_explore_prints_json_for_scripts(tmp_path: Path) -> None:
    env = {**os.environ, "EXCOMM_HOME": str(tmp_path)}
    done = subprocess.run(
        [EXCOMM, "explore", "memo-uncertain", "--runs", "300", "--seed", "1", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    table = json.loads(done.stdout)
    assert table["runs"] == 300 and table["runtime"] == "local"
    assert {o["outcome"] for o in table["outcomes"]} == {"military_action", "negotiated_withdrawal"}
    assert set(table["rungs"]) >= {"tightened_quarantine", "air_strike"}
    # The moves its behaviour played that the world refused are counted, with their members:
    # the same count the members' own logs give.
    plan = plan_of("memo-uncertain")
    _, rows = run_recorded(plan, member_seeds(1, 300))
    assert table["refused"] == sum(int(str(row["refused"])) for row in rows) > 0
    assert table["members_refused"] == sum(1 for row in rows if row["refused"]) > 0
    said = subprocess.run(
        [EXCOMM, "explore", "memo-uncertain", "--runs", "300", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert f"refused by the world: {table['refused']} moves its behaviour played, in " in said.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "0"], "excomm: error: invalid --runs 0"),
        (["--seed", "-1"], "excomm: error: invalid --seed -1"),
        (["--runtime", "cloud"], "excomm: error: invalid --runtime 'cloud'"),
    ],
)
def test_bad_ensemble_input_is_one_line_and_nothing_runs(
    tmp_path: Path, args: list[str], message: str
) -> None:
    env = {**os.environ, "EXCOMM_HOME": str(tmp_path)}
    done = subprocess.run(
        [EXCOMM, "explore", "memo-uncertain", *args], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_explore_draws_the_shares_and_the_fan_chart(tmp_path: Path, suffix: str) -> None:
    picture = tmp_path / f"ensemble{suffix}"
    env = {**os.environ, "EXCOMM_HOME": str(tmp_path)}
    done = subprocess.run(
        [EXCOMM, "explore", "memo-uncertain", "--runs", "200", "--plot", str(picture)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    head = picture.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in picture.read_bytes()[:2000]
    assert len(head) > 0


def test_a_temporal_ensemble_with_no_worker_polling_is_refused_at_once(tmp_path: Path) -> None:
    # --workers 0 uses the workers already polling; with none, say so instead of waiting.
    env = {**os.environ, "EXCOMM_HOME": str(tmp_path)}
    done = subprocess.run(
        [EXCOMM, "explore", "memo-uncertain", "--runtime", "temporal", "--workers", "0", "--runs", "50"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("excomm: error: no worker polls task queue 'excomm'")
    assert done.stderr.count("\n") == 1
