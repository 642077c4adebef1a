"""Readers: one per source layout, each returning canonical flows and a load report.

`load()` takes files, folders or '-' (stdin), detects each file's layout from its content
(or takes the one forced), reads every file once and checks that no two files give the same
figure twice.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pa_trade.errors import DataError, InputError, UsageError
from pa_trade.readers import cache
from pa_trade.readers.report import LoadReport
from pa_trade.textio import SourceFile, read_source

if TYPE_CHECKING:
    import pandas as pd

LAYOUTS = {
    "dane-expo": "DANE export microdata (EXPO)",
    "dane-impo": "DANE import microdata (IMPO)",
    "dane-cuadro": "DANE by-country table (cuadro/anexo)",
    "mexico-se": "Mexico SE/SRE by-country table",
    "tidy": "pa-trade tidy flows CSV",
}
DATA_SUFFIXES = {".csv", ".txt", ".tsv"}
# pa-trade's own csv/tsv results (see render*.py): columns that tell each apart. Money
# columns carry a unit suffix with --units (exports_usd_millions); it is dropped first.
OWN_OUTPUTS = {
    "balance": {"reporter", "partner", "partner_name", "exports_usd", "imports_usd",
                "balance_usd", "status"},
    "mirror": {"exporter", "importer", "exports_reported_usd", "imports_reported_usd",
               "gap_usd"},
    "trend": {"reporter", "partner", "year", "exports_usd", "trade_usd", "balance_change_usd"},
    "trend summary": {"reporter", "partner", "measure", "period", "first_usd", "last_usd",
                      "cagr_pct"},
    "products": {"partner", "year", "product", "product_name", "exports_usd", "imports_usd"},
}


@dataclass
class Loaded:
    """Canonical flows from every file, and each file's report."""

    flows: pd.DataFrame
    reports: list[LoadReport] = field(default_factory=list)
    skipped_duplicates: list[str] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # in folders, of no known layout

    @property
    def set_aside_count(self) -> int:
        return sum(len(r.set_aside) for r in self.reports)


def own_output(header: list[str]) -> str | None:
    """Which of pa-trade's own results ('balance', 'mirror', ...) a header is, or None.

    These are answers, not flows: reading them back as data would be meaningless.
    """
    import re

    names = [re.sub(r"_(thousands|millions|billions)$", "", c.strip().strip('"').lower())
             for c in header]
    for command, columns in OWN_OUTPUTS.items():
        if columns <= set(names):
            return command
    # matrix: 'exporter', then one column per importer named by its ISO3 code
    if names[:1] == ["exporter"] and sum(bool(re.fullmatch(r"[a-z]{3}", c)) for c in names) > 1:
        return "matrix"
    return None


def _refuse_own_output(src: SourceFile, first: list[str]) -> None:
    """DataError when the header `first` is that of a pa-trade result, saying which."""
    command = own_output(first)
    if command is not None:
        raise DataError(
            f"{src.name}: this is pa-trade's {command} output, not flows; "
            f"`pa-trade flows -f csv` writes a file that can be read back"
        )


def _head_non_blank(src: SourceFile) -> list[str]:
    """The lines of a file's head that are not blank (detection looks no further)."""
    return [line for line in src.head_lines[:60] if line.strip()]


def _first_cells(non_blank: list[str]) -> list[str]:
    """The cells of the first line, split by the delimiter the head's lines use."""
    from pa_trade.readers.common import fields
    from pa_trade.textio import sniff_delimiter

    return fields(non_blank[0], sniff_delimiter(non_blank[:50]))


def detect_layout(src: SourceFile) -> str:
    """The layout of a file, decided from its content.

    Raises DataError for an empty file, one of no known layout, one of pa-trade's own
    results (balance, mirror, ... as csv/tsv) and a table by country whose title and notes
    do not say whose it is.
    """
    from pa_trade.readers import tables
    from pa_trade.readers.dane_microdata import header_columns
    from pa_trade.readers.tidy import is_tidy_header

    non_blank = _head_non_blank(src)
    if not non_blank:
        raise DataError(f"{src.name}: the file is empty")
    first = _first_cells(non_blank)
    _refuse_own_output(src, first)
    names = set(header_columns(first))
    if is_tidy_header(first):
        return "tidy"
    # microdata are told apart by their partner column; missing value columns are then
    # reported by the reader, naming them
    if {"FECH", "PAISGEN"} <= names:
        return "dane-impo"
    if {"FECH", "PAIS"} <= names:
        return "dane-expo"
    delimiter, year_row, flow_row = tables._find_header(src)
    if year_row is not None:
        # whose table it is, from its title and notes only: never guessed from the rows
        said = tables.title_and_notes(src)
        if flow_row is not None:
            # the SE balanza's own header (years over four flow columns): DANE has none
            if tables.names_office(said, tables.DANE) and not tables.names_office(
                    said, tables.MEXICO):
                raise DataError(
                    f"{src.name}: the header is the Secretaría de Economía's (years over "
                    f"exports, imports, total and balance) but the title and notes name DANE; "
                    f"use --layout mexico-se or --layout dane-cuadro")
            return "mexico-se"
        publisher = tables.publisher_of(said)
        if publisher is not None:
            return publisher.layout
        raise DataError(tables.unattributed(src.name, said))
    shown = non_blank[0].strip()
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise DataError(
        f"{src.name}: line 1: unknown layout (starts {shown!r}); expected one of "
        f"{', '.join(LAYOUTS)} (see README, 'Input layouts'), or force one with --layout"
    )


def read_file(src: SourceFile, layout: str | None = None, number_style: str | None = None,
              products: bool = True, valuations: tuple[str, ...] | None = None):
    """Read one source -> (canonical flows, LoadReport).

    `products=False`: the caller needs no tariff codes; microdata are then summed per partner
    and month only, which is much faster. `valuations` (e.g. ('CIF',)): the import valuations
    the caller needs, where a file has several (DANE import microdata); None: all.
    """
    from pa_trade.readers import dane_microdata, tables, tidy

    if layout and (non_blank := _head_non_blank(src)):
        _refuse_own_output(src, _first_cells(non_blank))
    chosen = layout or detect_layout(src)
    if chosen == "dane-expo":
        return dane_microdata.read_expo(src, number_style, products=products)
    if chosen == "dane-impo":
        return dane_microdata.read_impo(src, number_style, products=products,
                                        valuations=valuations)
    if chosen in ("dane-cuadro", "mexico-se"):
        return tables.read_table(src, chosen, number_style)
    if chosen == "tidy":
        return tidy.read_tidy(src, number_style)
    raise UsageError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def expand_paths(paths: Iterable[str]) -> list[tuple[str, bool]]:
    """(path, found in a folder) for the files named and the data files inside folders named
    (sorted; hidden files and folders left out)."""
    out = []
    for path in paths:
        if path == "-":
            out.append((path, False))
            continue
        p = Path(path)
        if p.is_dir():
            found = sorted(
                str(f) for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in DATA_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                raise InputError(f"{path}: folder has no data files (*.csv, *.txt, *.tsv)")
            out.extend((f, True) for f in found)
        elif p.exists():
            out.append((path, False))
        else:
            raise InputError(f"{path}: no such file or folder")
    return out


def load(
    paths: Iterable[str],
    layout: str | None = None,
    number_style: str | None = None,
    strict: bool = False,
    products: bool = True,
    valuations: tuple[str, ...] | None = None,
    use_cache: bool = True,
) -> Loaded:
    """Load every file under `paths` into one canonical table, each file once.

    `products` and `valuations`: what the caller needs (see read_file). Big files are parsed
    once and kept in the user cache folder (`use_cache=False` skips it).
    Raises DataError when two files overlap (the same figure twice) and, with `strict`,
    when any row was set aside.
    """
    import pandas as pd

    from pa_trade import flows

    seen: dict[str, str] = {}
    frames, reports, duplicates, skipped = [], [], [], []
    stdin_read = False
    for path, in_folder in expand_paths(paths):
        if path == "-":
            # standard input can be read once: a second '-' is the same input again
            if stdin_read:
                duplicates.append("<stdin> (standard input given twice)")
                continue
            stdin_read = True
        src = read_source(path)
        if src.digest in seen:
            duplicates.append(f"{src.name} (same content as {seen[src.digest]})")
            continue
        seen[src.digest] = src.name
        if in_folder and layout is None:
            # a stray file in a data folder (notes, a README as .txt) is named, not fatal
            try:
                detect_layout(src)
            except DataError as exc:
                if strict:
                    raise DataError(f"--strict: {exc}") from None
                skipped.append(str(exc))
                continue
        asked = {"layout": layout, "number_style": number_style, "products": products,
                 "valuations": valuations}
        cache_key = cache.key(src, asked) if use_cache else None
        cached = cache.get(cache_key, src.name)
        if cached:
            frame, report = cached
        else:
            frame, report = read_file(src, layout, number_style, products, valuations)
            cache.put(cache_key, frame, report)
        if strict and report.set_aside:
            raise DataError(f"--strict: {report.first_problem()}")
        frames.append((src.name, frame))
        reports.append(report)
    if not frames:
        return Loaded(flows.empty(), reports, duplicates, skipped)
    check_overlaps(frames)
    combined = pd.concat([frame for _, frame in frames], ignore_index=True)
    return Loaded(flows.normalise_frame(combined), reports, duplicates, skipped)


def check_overlaps(frames: list[tuple[str, pd.DataFrame]]) -> None:
    """Fail when two files (name, flows) give the same reporter, partner, year, month, flow
    and valuation.

    Summing them would count the trade twice; monthly files of one year do not overlap.
    """
    import pandas as pd

    key = ["reporter", "partner", "year", "flow", "valuation"]
    if _apart([frame for _, frame in frames], key):
        return
    frame = pd.concat([f.assign(file=name) for name, f in frames], ignore_index=True)
    cells = frame[key + ["file", "month"]].drop_duplicates()
    files_per_key = cells.groupby(key, dropna=False)["file"].transform("nunique")
    shared = cells[files_per_key > 1]
    if shared.empty:
        return
    clash = shared[shared["month"].isna() | shared.duplicated(key + ["month"], keep=False)]
    if clash.empty:
        return
    first = clash.iloc[0]
    same = shared
    for column in key:
        same = same[same[column] == first[column]]
    sources = sorted(same["file"].unique().tolist())
    raise DataError(
        f"{sources[0]} and {sources[1]} both give {first['reporter']}'s "
        f"{first['flow']}s ({first['valuation']}) with {first['partner']} in "
        f"{first['year']}; load only one of them, or the trade would be counted twice"
    )


def _apart(frames: list[pd.DataFrame], key: list[str]) -> bool:
    """True when no two files can share a key: for every pair of files, some key column has
    no value in common (an EXPO file and an IMPO file; files of different years). Cheap: only
    the distinct values of each column per file are looked at."""
    values = [[set(frame[column].unique()) for column in key] for frame in frames]
    return all(
        any(not (mine & theirs) for mine, theirs in zip(values[i], values[j], strict=True))
        for i in range(len(values)) for j in range(i + 1, len(values))
    )


def default_data_paths() -> list[str]:
    """Where data come from when --data is not given, first found wins.

    $PA_TRADE_DATA (paths separated by the OS path separator); else the user data folder
    when it holds data files (what `pa-trade fetch` writes); else the built-in dataset.
    """
    from pa_trade.paths import builtin_flows_dir, user_data_dir

    env = os.environ.get("PA_TRADE_DATA", "").strip()
    if env:
        return [p for p in env.split(os.pathsep) if p]
    user = user_data_dir()
    if user.is_dir() and any(
        f.suffix.lower() in DATA_SUFFIXES for f in user.rglob("*") if f.is_file()
    ):
        return [str(user)]
    return [str(builtin_flows_dir())]
