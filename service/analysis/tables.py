"""Tables an analyst keeps: members and sweeps written as Parquet, CSV or JSON Lines.

The format follows the file's extension. A file is written whole or not at all (a
temporary file beside it, then a rename), and the folder is checked before any work
starts, not after minutes of an ensemble. pandas (and pyarrow for Parquet) is imported
only here, so commands that write no table start without it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from models.members import Row
from service.errors import Invalid

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {".parquet": "Parquet", ".csv": "CSV", ".jsonl": "JSON Lines"}


def check_writable(path: Path, option: str) -> None:
    """A one-line error now if `path` cannot take a table: an unknown extension, no folder."""
    if path.suffix.lower() not in FORMATS:
        raise Invalid(f"invalid {option} {path}: the file must end in {', '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise Invalid(f"cannot write {option} {path}: there is no folder {path.parent}")


def frame(rows: Sequence[Row], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows as a DataFrame, their columns in the order the first row gives them."""
    import pandas as pd

    return pd.DataFrame.from_records(list(rows), columns=list(columns) if columns else None)


def write_table(table: pd.DataFrame, path: Path, option: str) -> None:
    """Write a table in the format of its extension; nothing is left half-written."""
    check_writable(path, option)
    suffix = path.suffix.lower()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        if suffix == ".parquet":
            table.to_parquet(temporary, index=False)
        elif suffix == ".csv":
            table.to_csv(temporary, index=False)
        else:
            table.to_json(temporary, orient="records", lines=True, date_format="iso")
        os.replace(temporary, path)
    except OSError as exc:
        raise Invalid(f"cannot write {option} {path}: {(exc.strerror or str(exc)).lower()}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def read_table(path: Path) -> pd.DataFrame:
    """A table written by `write_table` (or by hand in one of its formats)."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise Invalid(f"cannot read {path}: a table file ends in {', '.join(FORMATS)}")
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_json(path, orient="records", lines=True)
    except FileNotFoundError:
        raise Invalid(f"cannot read {path}: no such file") from None
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Invalid(f"cannot read {path}: {first}") from None
