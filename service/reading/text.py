"""User text on its way to a terminal or a page: shown literally, never obeyed.

Ids, step names, summaries and payloads come from users' files and commands. Rich reads
`[bold]` in a string as markup (and `[/]` with nothing open as an error), and a terminal
obeys escape sequences, so such text is stripped of control characters and escaped
before it is printed.
"""

from __future__ import annotations

import io
import re
from typing import TextIO

from markupsafe import Markup
from rich.markup import escape

# C0 controls but tab and newline, DEL, and C1 controls (ESC starts terminal sequences), and
# the bidirectional embeddings, overrides and isolates: a right-to-left override in one field
# would otherwise reverse the fields after it on the same line or page.
_BIDI_CHARS = r"\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_CHARS}]")
_BIDI = re.compile(rf"[{_BIDI_CHARS}]")


def unbidi(value: object) -> object:
    """A template's value with its bidirectional controls taken out (Jinja's `finalize`):
    a user's text keeps its own letters, right-to-left ones included, and cannot reorder
    what follows it."""
    if isinstance(value, Markup):  # already safe HTML: stays so, without the controls
        return Markup(_BIDI.sub("", str(value)))
    return _BIDI.sub("", value) if isinstance(value, str) else value


def clean(text: str) -> str:
    """Text without the control characters a terminal would act on."""
    return _CONTROL.sub("", text)


def literal(text: object) -> str:
    """Text for a rich console: cleaned, with markup escaped so it prints as written."""
    return escape(clean(str(text)))


def one_line(text: str) -> str:
    """A message on one line: cleaned, its line breaks shown as a space."""
    return " ".join(clean(text).split("\n")).strip()


class Unpadded(io.TextIOBase):
    """A stream that drops the spaces rich pads lines with, for output read as a file.

    Tables and grids fill each line to the console's width; piped to a file or another
    program, that is trailing whitespace on every line.
    """

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.pending = ""

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        for line in lines:
            self.target.write(line.rstrip() + "\n")
        return len(text)

    def flush(self) -> None:
        # A part line stays pending: rich flushes after every print, lines end later.
        self.target.flush()

    def finish(self) -> None:
        """Write what is left of a last line without its newline."""
        if self.pending:
            self.target.write(self.pending.rstrip())
            self.pending = ""
        self.target.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.target.fileno()


# The words a reader knows for the engine's names, in what a page or a handout shows.
_CHANNELS = {
    "cable": "cable",
    "radio": "radio",
    "radio_moscow": "Radio Moscow",
    "scali_fomin": "the Scali-Fomin channel",
    "rfk_dobrynin": "Robert Kennedy's channel to Dobrynin",
    "united_nations": "the United Nations",
    "hotline": "the hotline",
    "public_release": "a public release",
}
_STATES = (
    (re.compile(r"\bsoviet_answers\.([\w-]+)"), r"Moscow's answer on the \1 track"),
    (re.compile(r"\bally_answers\.([\w -]+?)(?= is | has |$)"), r"\1's answer"),
    (re.compile(r"\btracks\.([\w-]+)"), r"the \1 track"),
    (re.compile(r"\bjupiters\.(\w+)"), r"the Jupiters in \1"),
    (re.compile(r"\bdefcon\.(\w+)"), r"\1's DEFCON level"),
    (re.compile(r"\bescalation_rung\b"), "the escalation rung"),
    (re.compile(r"\b(outcome|missiles|quarantine)\b"), r"the \1"),
)
_NEEDED = re.compile(r"\(needs (.+?); not so as (\w+) knew it\)")
_OVER = re.compile(r" over ([a-z_]+)\.")


def plainly(summary: str) -> str:
    """A summary the engine wrote, in a reader's words: channels by their names, and what a
    suppressed event needed said in words, not in the condition language."""

    def needed(found: re.Match[str]) -> str:
        words = found.group(1)
        for pattern, replacement in _STATES:
            words = pattern.sub(replacement, words)
        return f"(it depended on this: {words.replace('_', ' ')}; {found.group(2)} did not know it to be so)"

    summary = _NEEDED.sub(needed, summary)
    return _OVER.sub(lambda found: f" over {_CHANNELS.get(found.group(1), found.group(1))}.", summary)
