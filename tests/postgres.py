"""A throwaway PostgreSQL server, from the distribution's own package (`postgresql`).

initdb in a temporary folder, a server on a free port of 127.0.0.1 with a password, and
everything removed afterwards. PostgreSQL refuses to run as root, so as root (CI) the
server runs as the package's `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from service.runtime import ports

USER = "excomm"


def binaries() -> Path:
    """The folder of initdb and pg_ctl: the newest installed PostgreSQL's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (see .ci/run)")
    return Path(initdb).resolve().parent


def _free_port() -> int:
    return ports.free_port("127.0.0.1")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields the URL (with its password) of its `postgres` database."""
    folder = Path(tempfile.mkdtemp(prefix="excomm-postgres-"))
    as_root = os.geteuid() == 0
    run_as: list[str] = ["runuser", "-u", "postgres", "--"] if as_root else []
    password = secrets.token_hex(12)
    data, port = folder / "data", _free_port()
    (folder / "password").write_text(password + "\n")
    if as_root:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        os.chown(folder / "password", account.pw_uid, account.pw_gid)
    bin_dir = binaries()
    try:
        subprocess.run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=scram-sha-256",
                f"--pwfile={folder / 'password'}",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=200"
        subprocess.run(
            [
                *run_as,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql://{USER}:{password}@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database_url(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server; dropped afterwards, whoever is still connected."""
    name = f"excomm_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # our own name
    try:
        yield database_url(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
