"""Ports and the processes that hold them, so a taken port is refused by name.

The holder of a listening port is found through /proc (Linux); elsewhere the functions
answer None and callers say less, never something false.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import socket
from pathlib import Path

PROC = Path("/proc")


EPHEMERAL_RANGE = PROC / "sys" / "net" / "ipv4" / "ip_local_port_range"
LOWEST_CHOICE = 20000


def _ephemeral_floor() -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    return 32768  # Linux's default


def free_port(ip: str) -> int:
    """A port that is free on `ip` now, below the ephemeral range where the system can.

    The kernel's own choice (bind to port 0) comes from the ephemeral range, the ports it
    also hands to outgoing connections: between the choice and the server's bind, any
    client connecting anywhere may take it. Below that range only a listener can.
    """
    floor = _ephemeral_floor()
    if floor > LOWEST_CHOICE:
        chooser = random.SystemRandom()
        for _ in range(50):
            port = chooser.randrange(LOWEST_CHOICE, floor)
            if port_is_free(ip, port):
                return port
    with socket.socket(_family(ip), socket.SOCK_STREAM) as probe:
        probe.bind((ip, 0))
        chosen: int = probe.getsockname()[1]
        return chosen


def port_is_free(ip: str, port: int) -> bool:
    """Whether a server could listen on `ip:port` now.

    SO_REUSEADDR as servers set it: a port in TIME_WAIT is free, one with a listener is not.
    """
    with socket.socket(_family(ip), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
        return True


def _family(ip: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def listener_pid(port: int) -> int | None:
    """The pid of the process listening on TCP `port`, if this machine lets us see it."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in _pids():
        with contextlib.suppress(OSError):
            for fd in (PROC / str(entry) / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in targets:
                        return entry
    return None


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _pids() -> list[int]:
    try:
        return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return []


def command_line(pid: int) -> list[str] | None:
    """A process's arguments, or None if it is gone or hidden from us."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def processes_with_argument(program: str, argument: str) -> list[int]:
    """Pids of running `program`s (by basename) that were given `argument`."""
    found = []
    for pid in _pids():
        args = command_line(pid)
        if args and os.path.basename(args[0]) == program and argument in args:
            found.append(pid)
    return found


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead and waiting for its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True
