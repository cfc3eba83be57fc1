"""Citations: every source an event cites, resolved to what excomm can show of it.

A citation is one of three kinds:

- a FRUS document whose full text ships with excomm (the Kennedy-Khrushchev letters,
  FRUS 1961-63 v06 d60-d81, and the seed memo, v11 d89): `excomm source` prints its text;
- any other FRUS document in the shipped indexes (`FRUS 1961-63 v11 d96`,
  `FRUS 1961-63 v10-12 mSupp 365`): its record, with its public address;
- a work that is not a FRUS document, cited by its key in `sources/bibliography.yaml`
  (`Dobbs 2008`): author, title, year, publisher or address.

Any of them may add a place in the work after a comma: `Dobbs 2008, p. 237`,
`FRUS 1961-63 v06 d73, footnote 1`. The index files are copies of the project's reference
data (see `sources/README.md`); nothing is fetched.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

SOURCES = Path(__file__).resolve().parent / "sources"
BIBLIOGRAPHY = SOURCES / "bibliography.yaml"

# "FRUS 1961-63 v06 d65", or shortened ("v06 d65", "v6 d65"); the microfiche supplement
# is "FRUS 1961-63 v10-12 mSupp 365".
_FRUS = re.compile(
    r"^(?:FRUS\s+)?(?:1961-63\s+)?v(?:ol\.?\s*)?(?P<volume>\d{1,2}(?:-12)?)\s+(?P<kind>d|mSupp\s*)(?P<doc>\d+)$",
    re.IGNORECASE,
)
VOLUMES = {
    "v05": "Volume V, Soviet Union",
    "v06": "Volume VI, Kennedy-Khrushchev Exchanges",
    "v07": "Volume VII, Arms Control and Disarmament",
    "v10-12": "Volumes X/XI/XII, American Republics; Cuba 1961-1962; Cuban Missile Crisis and "
    "Aftermath, Microfiche Supplement",
    "v11": "Volume XI, Cuban Missile Crisis and Aftermath",
}
_HSG = "https://history.state.gov/historicaldocuments/frus1961-63"

Kind = Literal["text", "record", "work"]


@dataclass(frozen=True)
class Source:
    """What excomm can show of a cited source."""

    citation: str  # canonical, without the locator
    kind: Kind
    title: str
    date: str | None = None
    address: str | None = None
    text: str | None = None  # the full text, where it ships
    byline: str | None = None  # for a work: author, year, publisher
    note: str | None = None
    locator: str | None = None  # the place in it the citation gave: "p. 237"


def _volume_key(volume: str) -> str:
    return "v10-12" if "-" in volume else f"v{int(volume):02d}"


def _split(citation: str) -> tuple[str, str | None]:
    head, _, locator = citation.partition(",")
    return head.strip(), (locator.strip() or None)


def canonical_frus(text: str) -> str | None:
    """`FRUS 1961-63 v06 d65`, `v06 d65`, `v6 d65`, `v10-12 mSupp 365` -> canonical form."""
    match = _FRUS.match(text.strip())
    if match is None:
        return None
    volume = _volume_key(match["volume"])
    if match["kind"].lower().startswith("m"):
        return f"FRUS 1961-63 {volume} mSupp {int(match['doc'])}"
    return f"FRUS 1961-63 {volume} d{int(match['doc'])}"


@cache
def _frus() -> dict[str, Source]:
    """Every FRUS document excomm knows of: full texts first, then the indexes' records."""
    found: dict[str, Source] = {}

    def record(volume: str, doc: str, title: str, date: str, address: str | None, note: str | None) -> None:
        kind = "mSupp " if volume == "v10-12" else "d"
        citation = f"FRUS 1961-63 {volume} {kind}{int(doc)}"
        found.setdefault(citation, Source(citation, "record", title, date or None, address, note=note))

    with (SOURCES / "frus-1961-63-v06-oct-nov-1962.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            letter = json.loads(line)
            citation = f"FRUS 1961-63 v06 d{letter['doc']}"
            found[citation] = Source(
                citation, "text", letter["title"], letter["date_min"], letter["url"], text=letter["text"]
            )
    memo = "FRUS 1961-63 v11 d89"
    found[memo] = Source(
        memo,
        "text",
        "Memorandum Prepared by the Planning Subcommittee of the Executive Committee of the National "
        "Security Council (Negotiation)",
        "1962-10-26",
        f"{_HSG}v11/d89",
        text=(SOURCES / "negotiation-memo-frus-1961-63-v11-d89.txt").read_text(encoding="utf-8"),
    )
    for volume, name in (
        ("v06", "frus-1961-63-v06-index.csv"),
        ("v11", "frus-1961-63-v11-index-partial.csv"),
        ("v10-12", "frus-1961-63-v10-12-microfiche-index-oct-nov-1962.csv"),
        (None, "frus-1961-63-index-excomm.csv"),
    ):
        with (SOURCES / name).open(encoding="utf-8", newline="") as rows:
            for row in csv.DictReader(rows):
                vol = volume or row["volume"]
                suffix = "mSupp" if vol == "v10-12" else f"d{int(row['doc'])}"
                address = row.get("source_url") or f"{_HSG}{vol}/{suffix}"
                if vol == "v10-12":
                    address = f"{_HSG}v10-12mSupp"  # the supplement is online as one volume
                record(vol, row["doc"], row["title"], row["date_min"], address, row.get("note"))
    return found


@cache
def _works() -> dict[str, Source]:
    with BIBLIOGRAPHY.open(encoding="utf-8") as file:
        entries = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    works: dict[str, Source] = {}
    for key, entry in entries.items():
        byline = ", ".join(
            str(part) for part in (entry.get("author"), entry.get("year"), entry.get("publisher")) if part
        )
        works[key] = Source(
            key,
            "work",
            entry["title"],
            str(entry["year"]) if entry.get("year") else None,
            entry.get("address"),
            byline=byline or None,
            note=entry.get("note"),
        )
    return works


def resolve(citation: str) -> Source | None:
    """What a citation refers to, or None if excomm knows no such source."""
    head, locator = _split(citation)
    frus = canonical_frus(head)
    found = _frus().get(frus) if frus is not None else _works().get(head)
    if found is None:
        return None
    return found if locator is None else dataclasses.replace(found, locator=locator)


def full_texts() -> list[str]:
    return [citation for citation, source in _frus().items() if source.kind == "text"]
