"""The Jinja2 environment of excomm's pages (the classroom's, and the printed handout here).

Autoescaping is on for every template: summaries, actors and moves come from users'
files and from analysts, and a page shows them as text, never as markup.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.reading.text import plainly, unbidi


def dated(text: str) -> str:
    """A source's date as a reader writes it: '26 October 1962', with its hour where the
    source gives one, local to the place it was written (FRUS dates carry no zone)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text
    day = f"{when.day} {when:%B %Y}"
    if "T" not in text or (when.hour, when.minute) == (0, 0):
        return day
    return f"{day}, {when:%H:%M} local time"


@cache
def environment(folder: Path) -> Environment:
    """The templates of one folder (each room keeps its own beside its code)."""
    templates = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt name in a template fails its test, not silently
        trim_blocks=True,
        finalize=unbidi,  # no field's right-to-left override reaches the next (service.reading.text)
        lstrip_blocks=True,
    )
    templates.filters["dated"] = dated
    templates.filters["plainly"] = plainly
    return templates
