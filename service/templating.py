"""The Jinja2 templates of excomm's pages (the classroom and the printed handout).

Autoescaping is on for every template: summaries, actors and moves come from users'
files and from analysts, and a page shows them as text, never as markup.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt name in a template fails its test, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
