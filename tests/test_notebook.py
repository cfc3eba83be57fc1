"""The analysts' example notebook runs on a real Jupyter kernel and says what it should."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "analysis.ipynb"


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "".join(parts)


@pytest.mark.timeout(300)
def test_the_example_notebook_runs_and_its_outputs_hold(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # what is checked below is what this run printed
    NotebookClient(
        notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    printed = [_text(cell) for cell in code]
    # The table of outcomes, a row per member, a rule with density and coverage.
    assert "military_action" in printed[0] and "negotiated_withdrawal" in printed[0]
    assert "soviet.cuba.answer" in printed[1]
    assert (
        "military action in 100% of members where the Soviet answer on the cuba track is not accept"
        in printed[2]
    )
    # The member run again alone gives its row's outcome and size of log.
    ran, _, row = printed[3].partition("; the row says ")
    assert ran.split()[:2] == row.split()[:2] and ran.split()[0] == "military_action"
    assert "escalation_rung" in printed[4]
    assert "share.military_action" in printed[5]
    assert "the member: negotiated_withdrawal | the branch: military_action" in printed[6]
    assert "tightened_quarantine" in printed[7] and "invasion" in printed[7]
    assert (tmp_path / "fan.png").read_bytes().startswith(b"\x89PNG")
