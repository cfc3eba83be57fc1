"""Files only their owner may read, written only where they are, never through a symlink.

excomm's home and its event store hold analysts' work and every workflow history. A file
someone else planted as a symlink (`server.log -> /victim`) must not get our writes or our
chmod: files are opened with O_NOFOLLOW and created 0600 whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

from models.errors import ExcommError

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


class NotPrivate(ExcommError, OSError):
    """A path excomm would write is a symlink, or not a regular file."""


def refuse_symlink(path: Path) -> None:
    """NotPrivate if `path` is a symlink (dangling or not): nothing is written through it."""
    if path.is_symlink():
        raise NotPrivate(f"{path} is a symbolic link: excomm writes no file through one")


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_APPEND) -> int:
    """A descriptor on `path`, made 0600 if missing, refused if it is a symlink or not a
    regular file; an existing file readable by others is made 0600."""
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
    except OSError as exc:
        if path.is_symlink():
            raise NotPrivate(f"{path} is a symbolic link: excomm writes no file through one") from None
        raise exc
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise NotPrivate(f"{path} is not a regular file")
        if found.st_mode & 0o077:
            os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def create_private(path: Path) -> None:
    """Make sure `path` exists as a private regular file, before a database opens it.

    An existing file is looked at, never opened: closing any descriptor on a file drops
    every POSIX lock this process holds on it, so a descriptor opened and closed here while
    another thread's SQLite connection is writing would hand its write lock to the other
    workers, and their writes would land over each other's (events were lost that way).
    A new file is made under a name of its own, closed, and only then linked into place."""
    try:
        found = path.lstat()
    except FileNotFoundError:
        found = None
    if found is not None:
        if stat.S_ISLNK(found.st_mode):
            raise NotPrivate(f"{path} is a symbolic link: excomm writes no file through one")
        if not stat.S_ISREG(found.st_mode):
            raise NotPrivate(f"{path} is not a regular file")
        return  # its mode is tightened by path, never through a descriptor (sqlite_store)
    partial = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.new")
    os.close(
        os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
    )
    try:
        os.link(partial, path)  # never replaces: if another made it first, theirs stands
    except FileExistsError:
        pass
    except OSError:
        # A file system without hard links: made in place. Only a connection that opened
        # and locked the newborn file between this open and close could lose its lock.
        with contextlib.suppress(FileExistsError):
            os.close(
                os.open(
                    path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE
                )
            )
    finally:
        partial.unlink()


def replace_private(path: Path, text: str) -> None:
    """Write `text` to `path` whole: a private file written beside it, then renamed over it,
    so a reader never sees half of it (a symlink at `path` is replaced, never followed)."""
    partial = path.with_name(path.name + ".partial")
    with_link = partial.is_symlink() or partial.exists()
    if with_link:
        partial.unlink()  # a leftover, or a planted link: removed, never followed
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    partial.replace(path)


def disk_full(path: Path, needed: int = 1024 * 1024) -> str | None:
    """'the disk under PATH is full (N kB free)' when fewer than `needed` bytes are free
    there for this user, else None: SQLite says 'disk I/O error' where the disk is full."""
    try:
        found = os.statvfs(path if path.is_dir() else path.parent)
    except OSError:
        return None
    free = found.f_bavail * found.f_frsize
    if free >= needed:
        return None
    return f"the disk under {path} is full ({free // 1024:,} kB free)"
