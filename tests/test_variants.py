"""Designers' variants: validation with stable codes at file, line and column; graphs; diffs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.plan import PlanDefinition
from models.simulation import initial_state, simulate
from models.state import fold
from service.reading.graph import mermaid
from service.reading.plan_diff import plan_diff
from timelines.loader import load_plan, load_plan_file, load_timeline, plan_names
from timelines.safe_yaml import FileProblems

MALFORMED = Path(__file__).parent / "variants" / "malformed"
EXPECTED = {
    name: (code, place)
    for name, place, code in (line.split() for line in (MALFORMED / "EXPECTED").read_text().splitlines())
}
EXCOMM = str(Path(sys.executable).parent / "excomm")


def _first_problem(path: Path) -> tuple[str, str]:
    with pytest.raises(FileProblems) as caught:
        load_plan_file(path)
    problem = caught.value.problems[0]
    return problem.code, f"{problem.line}:{problem.column}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_malformed_variant_gets_its_code_at_its_place(name: str) -> None:
    assert _first_problem(MALFORMED / name) == EXPECTED[name]


def test_the_corpus_is_whole() -> None:
    assert sorted(p.name for p in MALFORMED.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 30


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"id: x\n" + b"#" * (10 * 1024 * 1024), "E-TOO-LARGE"),
        (bytes(range(256)) * 64, "E-ENCODING"),
        (b"steps: " + b"[" * 20000 + b"]" * 20000, "E-YAML"),
    ],
    ids=["ten-megabytes", "binary-garbage", "nested-too-deeply"],
)
def test_large_binary_or_deep_files_are_refused_without_a_hang(
    tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    assert _first_problem(path)[0] == code


def test_validate_prints_one_line_per_problem_and_exits_1() -> None:
    files = sorted(str(p) for p in MALFORMED.glob("*.yaml"))
    done = subprocess.run([EXCOMM, "validate", *files], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name, (code, place) in EXPECTED.items():
        assert any(line.startswith(f"{MALFORMED / name}:{place}: {code} ") for line in lines), name


def test_every_shipped_plan_validates() -> None:
    files = [str(p) for p in sorted((Path(__file__).parent.parent / "timelines" / "plans").glob("*.yaml"))]
    done = subprocess.run([EXCOMM, "validate", *files], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout
    assert len(done.stdout.splitlines()) == len(plan_names()) >= 9


@pytest.mark.parametrize("name", plan_names())
def test_every_shipped_plan_graphs_and_dry_runs_to_an_outcome(name: str) -> None:
    plan = load_plan(name)
    chart = mermaid(plan)
    assert chart.startswith("flowchart TD") and "finish" in chart
    definition = load_timeline(name, seed=1)
    world = fold(initial_state(definition), simulate(definition))
    assert world.outcome is not None


EXPECTED_OUTCOMES = {
    "memo": "military_action",
    "air-strike-20-oct": "military_action",
    "no-consultation": "negotiated_withdrawal",
    "jupiter-holdout": "military_action",
    "hotline-1962": "negotiated_withdrawal",
    "u2-sam-strike": "military_action",
    "memo-halved": "military_action",
    "soviets-accept-26-oct": "negotiated_withdrawal",
}


@pytest.mark.parametrize(("name", "outcome"), sorted(EXPECTED_OUTCOMES.items()))
def test_each_counterfactual_reaches_the_outcome_it_asks_about(name: str, outcome: str) -> None:
    definition = load_timeline(name)
    world = fold(initial_state(definition), simulate(definition))
    assert world.outcome == outcome


def test_the_counterfactuals_show_what_they_change() -> None:
    memo = load_plan("memo")
    no_consultation = fold(
        initial_state(load_timeline("no-consultation")), simulate(load_timeline("no-consultation"))
    )
    assert no_consultation.alliance_cohesion == 0.5  # 3a and 3b broken for Turkey
    halved = simulate(load_timeline("memo-halved"))
    passed = next(e for e in halved if e.type == "plan_deadline_passed")
    assert passed.at - memo.starts_at == memo.deadline / 2
    assert "transit.cable: 8h -> 5m" in plan_diff(memo, load_plan("hotline-1962"))
    assert "+ step watch-for-a-u2-loss (wait)" in plan_diff(memo, load_plan("u2-sam-strike"))


def test_a_variant_keeps_its_own_id_and_version() -> None:
    variant: PlanDefinition = load_plan("memo-halved")
    assert (variant.id, variant.version, variant.departs_from) == ("memo-halved", 3, ("7",))


def test_memo_uncertain_draws_the_same_moves_for_the_same_seed_and_others_for_others() -> None:
    # The behaviour is played by the engine as things reach each side: the seed, not moves
    # drawn ahead, goes into the timeline.
    first, again, other = (load_timeline("memo-uncertain", seed) for seed in (7, 7, 8))
    assert first.moves == again.moves == other.moves == ()
    assert simulate(first) == simulate(again)
    assert simulate(first) != simulate(other)
    outcomes = {
        fold(initial_state(d), simulate(d)).outcome
        for d in (load_timeline("memo-uncertain", s) for s in range(40))
    }
    assert outcomes == {"negotiated_withdrawal", "military_action"}


def test_dry_run_prints_the_chronicle_and_the_outcome(tmp_path: Path) -> None:
    env = {**os.environ, "EXCOMM_HOME": str(tmp_path)}
    done = subprocess.run([EXCOMM, "dry-run", "memo"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "outcome: military_action" in done.stdout and "simulated in-process" in done.stdout
    assert not (tmp_path / "temporal.sqlite3").exists()
