"""The `excomm` command line: a module per kind of user (educators, designers, analysts,
operators), each command parsing its arguments, calling one function of the service layer
and rendering what it returns; the shared options and the error rendering in cli.common.

Errors are one line on stderr, `excomm: error: ...`, with the exit status of
service.errors: 0 done, 1 refused or invalid input, 2 usage, 3 server unreachable.

May import: models, timelines, service.
"""

import importlib
import os
import sys
from typing import Annotated, NoReturn

import typer

from cli.common import app, out, stdout, usage_error
from service.reading.text import Unpadded, one_line

# Each user's commands, registered in the order their panels show in `excomm --help`.
for _user in ("educators", "designers", "analysts", "operators"):
    importlib.import_module(f"cli.{_user}")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"excomm {version('excomm')}", markup=False)
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Replay the Cuban Missile Crisis of October 1962 as durable Temporal workflows."""


def main() -> NoReturn:
    from typer._click.exceptions import ClickException, UsageError

    status = 0
    try:
        result = typer.main.get_command(app).main(standalone_mode=False)
        status = result if isinstance(result, int) else 0
    except UsageError as exc:
        sys.stderr.write(f"excomm: error: {usage_error(exc)}\n")
        status = 2
    except ClickException as exc:
        sys.stderr.write(f"excomm: error: {one_line(exc.format_message())}\n")
        status = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("excomm: interrupted\n")
        status = 130
    except typer.Exit as exc:
        status = exc.exit_code
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    try:
        if isinstance(stdout, Unpadded):
            stdout.finish()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left early (`excomm export ... | head`): what it read is what it wanted.
        pass
    sys.stderr.flush()
    # The SDK's native runtime can crash at interpreter shutdown after a clean run
    # (sdk-python#300); leave without running finalisers so the status is ours.
    os._exit(status)
