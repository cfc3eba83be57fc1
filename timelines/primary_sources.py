"""The primary sources shipped with excomm, looked up by the citation events carry."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOURCES = Path(__file__).resolve().parent / "sources"
_CITATION = re.compile(r"^\s*(?:FRUS\s+)?(?:1961-63\s+)?v(?:ol\.?\s*)?0?6\s+d(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class PrimarySource:
    citation: str
    title: str
    dateline: str
    text: str
    url: str


@cache
def _documents() -> dict[str, PrimarySource]:
    found: dict[str, PrimarySource] = {}
    with (SOURCES / "frus-1961-63-v06-oct-nov-1962.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            citation = f"FRUS 1961-63 v06 d{record['doc']}"
            found[citation] = PrimarySource(
                citation=citation,
                title=record["title"],
                dateline=record["dateline"],
                text=record["text"],
                url=record["url"],
            )
    return found


def normalise_citation(text: str) -> str | None:
    """`FRUS 1961-63 v06 d65`, `v06 d65` or `v6 d65` -> the canonical citation."""
    match = _CITATION.match(text)
    return f"FRUS 1961-63 v06 d{int(match.group(1))}" if match else None


def find_source(citation: str) -> PrimarySource | None:
    canonical = normalise_citation(citation)
    return _documents().get(canonical) if canonical else None


def shipped_citations() -> list[str]:
    return list(_documents())
