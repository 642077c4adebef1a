"""Pieces every reader shares: splitting lines into fields and choosing the number style."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable

from pa_trade import numbers
from pa_trade.errors import DataError
from pa_trade.readers.report import LoadReport


class NotMicrodata(DataError):
    """A Stata or SPSS file whose columns are no microdata layout (found in a folder or an
    archive, it is named and skipped, as a stray text file is)."""


def fields(line: str, delimiter: str) -> list[str]:
    """The fields of one line; quotes are honoured only when present (fast path otherwise)."""
    if '"' in line:
        return next(csv.reader([line], delimiter=delimiter), [])
    return line.split(delimiter)


def join_fields(cells: list[str], delimiter: str) -> str:
    """One line again from fields, quoting those that need it."""
    return delimiter.join(
        '"' + c.replace('"', '""') + '"' if delimiter in c or '"' in c else c for c in cells
    )


def short_name(path: str) -> str:
    """The file name without its folder, as it goes into the `source` column: as text, also
    when the name's bytes are no UTF-8 (a Windows share's 'año.csv' in Windows-1252, which
    Python keeps as surrogates no table can hold)."""
    name = os.path.basename(path) or path
    raw = name.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def choose_style(
    report: LoadReport,
    values: Iterable[tuple[int, str]],
    forced: str | None,
    convention: str,
    publisher: str,
) -> str:
    """The number style for a file: forced, decided by its values, or the layout's convention."""
    if forced:
        report.number_style = f"{forced} (forced)"
        return forced
    values = list(values)
    style = numbers.detect_style(values, report.file)
    if style is None and not any("," in text or "." in text for _, text in values):
        # whole numbers without separators read the same in either style: nothing to say
        report.number_style = f"{convention} (no decimals or thousands marks)"
        return convention
    if style is None:
        report.notes.append(
            f"no value decides the number style; read as {convention} ({publisher}'s convention)"
        )
        report.number_style = f"{convention} (convention)"
        return convention
    report.number_style = style
    return style
