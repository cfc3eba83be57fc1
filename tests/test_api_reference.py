"""The notebook API's reference page builds with no warning, and documents every public name."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from service.analysis import notebook as ax

ROOT = Path(__file__).resolve().parent.parent
# The command the README gives for the reference page, warnings made errors.
MODULES = ["service.analysis.notebook", "service.runs.control", "service.inputs", "models.errors"]


def test_the_api_reference_builds_without_warnings_and_lists_every_public_name(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "pdoc", *MODULES, "-o", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # not a warning
    page = (tmp_path / "service" / "analysis" / "notebook.html").read_text()
    for name in ax.__all__:
        assert f'id="{name}"' in page, name
    # Self-contained: no script, style or image loaded from the internet (links are fine).
    assert not re.search(r'src="https?://|<link[^>]*href="https?://', page)
