"""Tables and notes for people that fit the terminal (render.words.width()).

A table is a list of Column; `fitted` draws it with tabulate and, while it is wider than the
width, applies the table's own steps in order: each drops a column whose content is said
elsewhere (the year in the title, a valuation in the unit line), or shortens headers and
labels. What a step takes away is given back by a wider terminal or --width 0, never lost:
every step is chosen so that the page still says it. Markdown is for documents and is never
fitted. Notes wrap to the width, long words (paths, addresses) never broken.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from pa_trade.render import words


class Column(NamedTuple):
    header: str
    align: str  # "left" or "right"
    cells: list
    key: str = ""  # what steps call it by ("year", "valuation")


Step = Callable[[list[Column]], list[Column]] | str


def widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


COMPACT = "compact"  # a step: headers without tabulate's two extra columns of padding


def grid(columns: Sequence[Column], fmt: str, breaks: Sequence[int] = (),
         compact: bool = False) -> str:
    """The table of `columns`, a rule before each row index in `breaks` (not in markdown);
    `compact`: a header's rule as wide as its column, not two wider."""
    import tabulate as tabulate_module
    from tabulate import SEPARATING_LINE, tabulate

    from pa_trade.render.tables import printable, printable_rows

    rows = [list(row) for row in zip(*(c.cells for c in columns), strict=True)]
    if fmt != "markdown":
        for index in sorted(set(breaks), reverse=True):
            if 0 < index < len(rows):
                rows.insert(index, SEPARATING_LINE)
    padding = tabulate_module.MIN_PADDING
    tabulate_module.MIN_PADDING = 0 if compact else padding
    try:
        return tabulate(printable_rows(rows), headers=[printable(c.header) for c in columns],
                        tablefmt="pipe" if fmt == "markdown" else "simple",
                        colalign=[c.align for c in columns], disable_numparse=True)
    finally:
        tabulate_module.MIN_PADDING = padding


def fitted(columns: list[Column], fmt: str, breaks: Sequence[int] = (),
           steps: Sequence[Step] = ()) -> str:
    """grid(), with `steps` applied one by one while the table is wider than the width."""
    text = grid(columns, fmt, breaks)
    limit = words.width()
    if fmt == "markdown" or limit is None:
        return text
    compact = False
    for step in steps:
        if widest(text) <= limit:
            break
        if step == COMPACT:
            compact = True
            text = grid(columns, fmt, breaks, compact)
            continue
        changed = step(columns)
        if changed is not columns:
            columns = changed
            text = grid(columns, fmt, breaks, compact)
    return text


def without(key: str, when: Callable[[Column], bool] = lambda c: True) -> Step:
    """A step that drops the column called `key` when `when(column)` holds."""
    def step(columns: list[Column]) -> list[Column]:
        kept = [c for c in columns if not (c.key == key and when(c))]
        return kept if len(kept) != len(columns) else columns
    return step


def renamed(key: str, header: str, cell: Callable[[object], object] | None = None) -> Step:
    """A step that gives the column called `key` a shorter header (and cells)."""
    def step(columns: list[Column]) -> list[Column]:
        out = []
        for c in columns:
            if c.key == key:
                cells = c.cells if cell is None else [cell(v) for v in c.cells]
                c = c._replace(header=header, cells=cells)
            out.append(c)
        return out
    return step


def _short_headers(columns: list[Column]) -> list[Column]:
    """Spanish headers wider than their numbers, shortened: 'Exportaciones' -> 'Export.'."""
    if not words.spanish():
        return columns
    short = {"Exportaciones": "Export.", "Importaciones": "Import.", "Comercio": "Com."}
    return [c._replace(header=short.get(c.header, c.header)) for c in columns]


SHORT_HEADERS = (_short_headers,)


def one_value(column: Column) -> bool:
    """Every cell of the column says the same (blank cells aside)."""
    return len({v for v in column.cells if v not in ("", None)}) <= 1


def wrapped(lines: Sequence[str], indent: str = "  ") -> list[str]:
    """Lines wrapped to the width, continuation lines indented by `indent` (and by a line's
    own indent); words longer than the width (paths, addresses) kept whole."""
    import textwrap

    limit = words.width()
    out = []
    for line in lines:
        if limit is None or len(line) <= limit:
            out.append(line)
            continue
        own = line[:len(line) - len(line.lstrip(" "))]
        # an amount stays with its unit: '-2,231.0 M' is never cut after the number
        held = re.sub(r"(\d) (M|%)(?=[\s,;.)]|$)", "\\1\x00\\2", line)
        out += [part.replace("\x00", " ") for part in textwrap.wrap(
            held, limit, initial_indent="", subsequent_indent=own + indent,
            break_on_hyphens=False, break_long_words=False)] or [""]
    return out
