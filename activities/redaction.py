"""A store's URL or connection string as a message may show it: without its password.

Every message and log line names a store through this, whatever shape the text has: a URL
that parses, one that does not (`postgresql:/user:pw@host`, an unclosed IPv6 bracket), or
a libpq `key=value` string.
"""

from __future__ import annotations

import re
from pathlib import Path

_SCHEME = re.compile(r"(\s*[A-Za-z][A-Za-z0-9+.\-]*:/*)")
_PASSWORD_IN_QUERY = re.compile(r"(password=)[^&\s]*", re.I)
_PASSWORD_IN_LIBPQ = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)", re.I)


def redacted(text: str) -> str:
    """A store's URL or connection string as it may be shown: no password, whatever its
    shape (this never fails, even on a URL that does not parse)."""
    url = _SCHEME.match(text)
    if url is not None:
        scheme, rest = url[1], text[url.end() :]
        userinfo, at, _ = rest.split("?", 1)[0].rpartition("@")
        if at and ":" in userinfo:
            rest = userinfo.split(":", 1)[0] + rest[len(userinfo) :]
        text = scheme + rest
    text = _PASSWORD_IN_LIBPQ.sub(r"\1***", text)
    return _PASSWORD_IN_QUERY.sub(r"\1***", text)


def shown(location: str | Path) -> str:
    """A store as messages name it: a URL without its password, a path made absolute (a
    relative one says what it was relative to)."""
    if isinstance(location, str):
        return redacted(location)
    if location.is_absolute():
        return str(location)
    return f"{location.absolute()} (EXCOMM_EVENT_STORE {str(location)!r} is relative to the current folder)"
