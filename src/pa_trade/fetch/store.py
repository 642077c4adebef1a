"""Where fetched flows go: a tidy CSV named by the user, or one file per reporter in the user
data folder, merged with what that file already holds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pa_trade.errors import DataError, InputError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Written:
    """A file written: where, how many flows it holds, and how many of them are new."""

    path: Path
    flows: int
    fetched: int
    replaced: int


def user_data_file(reporter: str, prefix: str = "comtrade") -> Path:
    """The file of one reporter's fetched flows: `user_data_dir()/comtrade-COL.csv`."""
    from pa_trade.paths import user_data_dir

    return user_data_dir() / f"{prefix}-{reporter}.csv"


def merge(existing: pd.DataFrame, fetched: pd.DataFrame, partners: list[str] | None
          ) -> tuple[pd.DataFrame, int]:
    """`existing` flows updated with `fetched` ones -> (merged flows, existing rows replaced).

    A fetch speaks for every reporter-year it brought rows for: with `partners` None (every
    partner) it replaces all that reporter-year's rows, else the rows of the partners asked.
    Rows of other years and partners stay, so repeated fetches never overlap.
    """
    import pandas as pd

    from pa_trade import flows as flow_table

    existing = flow_table.normalise_frame(existing)
    fetched = flow_table.normalise_frame(fetched)
    years = fetched[["reporter", "year"]].drop_duplicates()
    marked = existing.merge(years.assign(fetched_year=True), on=["reporter", "year"],
                            how="left")
    superseded = marked["fetched_year"].eq(True).to_numpy()
    if partners is not None:
        superseded = superseded & existing["partner"].isin(list(partners)).to_numpy()
    kept = existing[~superseded]
    merged = pd.concat([kept, fetched], ignore_index=True) if not kept.empty else fetched
    merged = merged.sort_values(["reporter", "year", "partner", "flow", "valuation"],
                                kind="stable")
    return flow_table.normalise_frame(merged), int(superseded.sum())


def read_flows_file(path: Path) -> pd.DataFrame:
    """The flows of a tidy CSV written before; DataError when any row cannot be read back,
    so that merging never loses a row silently."""
    from pa_trade.readers.tidy import read_tidy
    from pa_trade.textio import read_source

    frame, report = read_tidy(read_source(str(path)))
    if report.set_aside:
        raise DataError(f"cannot add to {report.first_problem()}; fix or remove that file")
    return frame


def check_out_path(path: Path, option: str = "--out") -> None:
    """InputError unless `path` names a file that can be written in a folder that exists:
    checked before any request, so a typo does not cost a download (nor create folders)."""
    path = Path(path)
    where = f"{option} {path}"
    if path.is_dir():
        raise InputError(f"{where}: is a folder; name a file, e.g. {path / 'flows.csv'}")
    if path.exists() and not path.is_file():
        # a device or a pipe (/dev/stdout, a FIFO) is written into, never replaced
        if not os.access(path, os.W_OK):
            raise InputError(f"{where}: cannot write (permission denied)")
        return
    folder = path.parent
    if not folder.exists():
        # the nearest existing ancestor says whether a file stands in the way
        blocking = next((p for p in folder.parents if p.exists()), None)
        if blocking is not None and not blocking.is_dir():
            raise InputError(f"{where}: {blocking} is a file, not a folder")
        raise InputError(f"{where}: no folder {folder}; create it first")
    if not folder.is_dir():
        raise InputError(f"{where}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{where}: cannot write in {folder} (permission denied)")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{where}: cannot write (permission denied)")


def write_flows(frame: pd.DataFrame, path: Path, make_folder: bool = False) -> None:
    """Write flows as tidy CSV, replacing `path` in one step (no half-written file).

    `make_folder`: create the folder first (the user data folder); a folder the user named
    must exist. InputError when the file cannot be written (a read-only folder, a full disk):
    the file keeps what it held, and no partial file stays behind.
    """
    import io

    from pa_trade import flows as flow_table
    from pa_trade.fetch import files

    path = Path(path)
    text = io.StringIO()
    flow_table.to_tidy_csv(frame, text)
    if make_folder:
        files.ensure_writable_folder(path.parent, "fetched flows")
    files.write_atomically(path, text.getvalue().encode("utf-8"))


def check_user_data_writable() -> None:
    """InputError unless fetched flows can be written into the user data folder: checked
    before any request, so that nothing is downloaded that cannot be kept."""
    from pa_trade.fetch import files
    from pa_trade.paths import user_data_dir

    files.ensure_writable_folder(user_data_dir(), "fetched flows")


def save_to_user_data(fetched: pd.DataFrame, partners: list[str] | None,
                      prefix: str = "comtrade") -> list[Written]:
    """Merge fetched flows into one file per reporter in the user data folder
    (`{prefix}-COL.csv`: one file per service and reporter)."""
    written = []
    for reporter, rows in fetched.groupby("reporter", sort=True):
        path = user_data_file(str(reporter), prefix)
        existing = read_flows_file(path) if path.exists() else None
        if existing is None:
            merged, replaced = rows, 0
        else:
            merged, replaced = merge(existing, rows, partners)
        write_flows(merged, path, make_folder=True)
        written.append(Written(path, len(merged), len(rows), replaced))
    return written
