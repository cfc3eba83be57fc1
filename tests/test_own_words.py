"""Every summary is in the project's own words: no run of eight or more words is shared
with a shipped source (the letters, the memo) or the reference chronology, outside a
quotation marked as one (in quotation marks) or a title.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

TIMELINES = Path(__file__).resolve().parent.parent / "timelines"
SOURCES = TIMELINES / "sources"
RUN = 8
# What a timeline writes in its own words (field names, wherever they are nested).
OWN_WORDS = {
    "summary",
    "uncertainty",
    "description",
    "mission",
    "title",
    "decision",
    "finding",
    "action",
    "note",
}
# Straight and curly double quotes, and single quotes around three or more characters.
QUOTED = re.compile("\"[^\"]*\"|\u201c[^\u201d]*\u201d|(?<!\\w)'[^']{3,}'(?!\\w)|\u2018[^\u2019]{3,}\u2019")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def runs(text: str) -> set[tuple[str, ...]]:
    found = words(text)
    return {tuple(found[i : i + RUN]) for i in range(len(found) - RUN + 1)}


def source_runs() -> set[tuple[str, ...]]:
    texts = [json.loads(line)["text"] for line in (SOURCES / "frus-1961-63-v06-oct-nov-1962.jsonl").open()]
    texts.append((SOURCES / "negotiation-memo-frus-1961-63-v11-d89.txt").read_text())
    texts.append((SOURCES / "chronology-oct-1962.md").read_text())
    return set().union(*(runs(text) for text in texts))


def own_words(data: object, where: str) -> Iterator[tuple[str, str]]:
    """Every text a timeline file writes in its own words, with where it is."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in OWN_WORDS and isinstance(value, str):
                yield f"{where}.{key}", value
            else:
                yield from own_words(value, f"{where}.{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from own_words(value, f"{where}[{index}]")


def shared(text: str, sources: set[tuple[str, ...]]) -> list[str]:
    """The runs of words a text shares with the sources, outside its quotations."""
    return [" ".join(run) for part in QUOTED.split(text) for run in sorted(runs(part) & sources)]


def test_no_summary_shares_eight_words_in_a_row_with_the_sources() -> None:
    sources = source_runs()
    files = sorted(TIMELINES.glob("*.yaml")) + sorted((TIMELINES / "plans").glob("*.yaml"))
    assert len(files) >= 10
    copied = [
        f"{path.name}{where}: {found[0]!r}"
        for path in files
        for where, text in own_words(yaml.safe_load(path.read_text()), "")
        if (found := shared(text, sources))
    ]
    assert copied == []


def test_a_copied_run_is_found_and_a_marked_quotation_is_not() -> None:
    sources = source_runs()
    memo = (
        "we should make clear our intent to provide interim coverage with Polaris and other external forces"
    )
    assert shared(f"Washington will {memo}.", sources)
    assert not shared(f'The memo says Washington should "{memo}".', sources)
    assert not shared("Washington undertakes to cover the flank with Polaris submarines meanwhile.", sources)
