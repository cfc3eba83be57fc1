"""Every citation opens: the text where excomm ships it, else the document's record or the work."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.simulation import simulate
from timelines.citations import canonical_frus, resolve
from timelines.loader import CATALOGUE, catalogue_names, load_timeline, load_timeline_file
from timelines.safe_yaml import FileProblems

SHIPPED = sorted([*CATALOGUE.glob("*.yaml"), *(CATALOGUE / "plans").glob("*.yaml")])
# The seed memo's SHA-256, as the project received it (shared/seed/, beside the project in
# development and CI, never in a user's clone): the tests read nothing outside the repository.
SEED_MEMO_SHA256 = "3c11420850eafd088d5615ac487d01defc676347612c1f5c21b4576172cd3d63"


def _citations(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [c for key in ("sources",) for c in node.get(key) or [] if isinstance(c, str)]
        if isinstance(node.get("document"), str):
            found.append(node["document"])
        return found + [c for k, v in node.items() if k != "sources" for c in _citations(v)]
    if isinstance(node, list):
        return [c for item in node for c in _citations(item)]
    return []


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_citation_written_in_a_shipped_file_opens(path: Path) -> None:
    cited = _citations(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert cited
    assert [c for c in cited if resolve(c) is None] == []


@pytest.mark.parametrize("name", catalogue_names())
def test_every_citation_an_event_carries_opens(name: str) -> None:
    unopened = {s for e in simulate(load_timeline(name, seed=3)) for s in e.sources if resolve(s) is None}
    assert unopened == set()


def test_the_letters_and_the_seed_memo_open_with_their_full_text() -> None:
    letter = resolve("FRUS 1961-63 v06 d65")
    assert letter is not None and letter.kind == "text" and "Dear Mr. President" in (letter.text or "")
    memo = resolve("FRUS 1961-63 v11 d89")
    assert memo is not None and memo.kind == "text"
    # Shipped unchanged from the seed.
    assert hashlib.sha256((memo.text or "").encode("utf-8")).hexdigest() == SEED_MEMO_SHA256


def test_a_document_excomm_does_not_ship_opens_as_its_record_with_its_public_address() -> None:
    record = resolve("FRUS 1961-63 v10-12 mSupp 365")
    assert record is not None and record.kind == "record"
    assert record.date == "1962-10-22" and "Macmillan" in record.title
    assert record.address == "https://history.state.gov/historicaldocuments/frus1961-63v10-12mSupp"
    memorandum = resolve("FRUS 1961-63 v11 d96")
    assert memorandum is not None
    assert memorandum.address == "https://history.state.gov/historicaldocuments/frus1961-63v11/d96"


def test_a_work_opens_by_its_key_with_the_place_cited() -> None:
    work = resolve("Dobbs 2008, ch. 10")
    assert work is not None and work.kind == "work" and work.locator == "ch. 10"
    assert work.byline is not None and "Michael Dobbs" in work.byline and "2008" in work.byline


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("FRUS 1961-63 v06 d65", "FRUS 1961-63 v06 d65"),
        ("v6 d65", "FRUS 1961-63 v06 d65"),
        ("FRUS 1961-63 v10-12 mSupp 365", "FRUS 1961-63 v10-12 mSupp 365"),
        ("Dobbs, One Minute to Midnight (2008)", None),
    ],
)
def test_frus_citations_are_read_in_their_usual_shortenings(written: str, canonical: str | None) -> None:
    assert canonical_frus(written) == canonical


def test_a_citation_that_opens_nothing_is_refused_at_its_line(tmp_path: Path) -> None:
    timeline = tmp_path / "mine.yaml"
    timeline.write_text(
        "id: mine\nversion: 1\ntitle: t\ndescription: d\nstarts_at: 1962-10-26T00:00-04:00\n"
        "events:\n  - type: statement_made\n    at: 1962-10-26T09:00-04:00\n    actor: a\n"
        "    medium: radio\n    summary: s\n    sources: [FRUS 1961-63 v06 d65, Somebody's blog]\n"
    )
    with pytest.raises(FileProblems) as caught:
        load_timeline_file(timeline)
    (problem,) = caught.value.problems
    assert (problem.line, problem.code) == (12, "E-UNKNOWN-SOURCE")
    assert 'events[0].sources[1]: "Somebody\'s blog"' in problem.message
