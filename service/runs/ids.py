"""Run ids are names: one grammar, checked by every command that takes one.

An id names one run for ever, in Temporal and in the event store, and the commands that
take a timeline *or* a run (`events`, `state`, `export`, `diff`) tell them apart by their
shape: a catalogue name is the catalogue's, a path is a file, anything else a run. So an
id that looks like a catalogue name (`memo`), a path (`../x`, `a/../b`) or a file
(`x.yaml`) could never be read back as the run: it is refused when it is given.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from service.errors import Invalid

MAX_CHARS = 200
_GRAMMAR = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~:-]*")
# What a file's name ends with, among those a user of excomm writes or reads.
_FILE_SUFFIXES = frozenset(
    {
        "yaml",
        "yml",
        "json",
        "jsonl",
        "csv",
        "ics",
        "html",
        "htm",
        "txt",
        "md",
        "parquet",
        "png",
        "svg",
        "sqlite3",
    }
    | {"db", "toml", "ipynb", "py"}
)


def problem(text: str, catalogue: Collection[str] | None = None) -> str | None:
    """Why `text` cannot be a run id, or None (`catalogue`: the catalogue's names, if known)."""
    if not text:
        return "an id is not empty"
    if "/" in text or "\\" in text:
        return "an id names a run, not a path: no / in it"
    if ".." in text:
        return "no '..' in an id"
    if len(text) > MAX_CHARS:
        return f"an id is at most {MAX_CHARS} characters"
    if not _GRAMMAR.fullmatch(text):
        return "an id is letters, digits and - _ . ~ :, starting with a letter or a digit"
    suffix = text.rsplit(".", 1)[1].lower() if "." in text else ""
    if suffix in _FILE_SUFFIXES:
        return f"it looks like a file's name (.{suffix})"
    if catalogue is None:
        from timelines.loader import catalogue_names

        catalogue = catalogue_names()
    if text in catalogue:
        return f"{text} is a timeline of the catalogue: a run's id must not hide it"
    return None


def checked(text: str) -> str:
    """`text` if it is a run id, else Invalid in one line saying why."""
    found = problem(text)
    if found is not None:
        shown = text if len(text) <= 80 else text[:79] + "…"
        raise Invalid(f"invalid id {shown!r}: {found}")
    return text
