"""Readers: one per source layout, each returning canonical flows and a load report.

`load()` takes files, folders, '-' (stdin) and archives (readers.inputs), detects each
file's layout from its content (or takes the one forced), reads every file once, the same
month in several formats once, and checks that no two files give the same figure twice.

Readers may import the core (flows, numbers, textio, periods, paths, errors) and
`pa_trade.reference`; never analysis, render, fetch or the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_trade.errors import DataError, UsageError
from pa_trade.readers import cache
from pa_trade.readers.inputs import DATA_SUFFIXES, Input
from pa_trade.readers.report import LoadReport
from pa_trade.textio import SourceFile

if TYPE_CHECKING:
    import pandas as pd

LAYOUTS = {
    "dane-expo": "DANE export microdata (EXPO)",
    "dane-impo": "DANE import microdata (IMPO)",
    "dane-cuadro": "DANE by-country table (cuadro/anexo)",
    "mexico-se": "Mexico SE/SRE by-country table",
    "tidy": "pa-trade tidy flows CSV",
    "imf-dots": "IMF Direction of Trade Statistics workbook sheet (readers.imf)",
    "imf-sdmx-csv": "IMF IMTS data as SDMX-CSV (readers.imf)",
    "imf-sdmx-ml": "IMF IMTS data as SDMX-ML, structure-specific (readers.imf)",
    "sunat-cuadro": "SUNAT (Peru) cuadro by country, months as columns (readers.sunat)",
    # UN Comtrade's files (readers.comtrade)
    "comtrade-plus": "UN Comtrade ComtradePlus download CSV",
    "comtrade-legacy": "UN Comtrade legacy comtrade.un.org CSV",
    "comtrade-json": "UN Comtrade API answer saved as JSON",
    # Mexico's INEGI and Chile's Aduanas (readers.inegi, readers.aduanas)
    "inegi-bcmm": "INEGI BCMM by-country open data CSV (Mexico)",
    "aduanas-salidas": "Chile's Aduanas export declarations CSV (Salidas, DUS)",
    "aduanas-ingresos": "Chile's Aduanas import declarations CSV (Ingresos, DIN)",
    # the canonical table itself, as `pa-trade flows -f parquet` writes it (readers.parquet)
    "parquet": "pa-trade's canonical flows as Parquet (a file, or a folder by reporter/year)",
}
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

    flows: pd.DataFrame | None  # None once handed over
    reports: list[LoadReport] = field(default_factory=list)
    skipped_duplicates: list[str] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # in folders, of no known layout
    # (member read, members of the same month not read, format read) per bundle
    bundles_read_once: list[tuple[str, list[str], str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # on the load as a whole (--months)

    rows_handed_over: int | None = None  # rows of the flows given away by hand_over()

    @property
    def set_aside_count(self) -> int:
        return sum(len(r.set_aside) for r in self.reports)

    @property
    def row_count(self) -> int:
        """Rows of the flows loaded, whether still held here or handed over."""
        return self.rows_handed_over if self.flows is None else len(self.flows)

    def hand_over(self) -> pd.DataFrame:
        """The flows, no longer held here: the caller's is then the only reference, so an
        analysis done with them early (products on millions of rows) frees them while it
        still works."""
        if self.flows is None:
            raise RuntimeError("the loaded flows were handed over already")
        flows, self.flows = self.flows, None
        self.rows_handed_over = len(flows)
        return flows


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
    from pa_trade.readers import imf

    if imf.is_sdmx_ml(src.head):
        return "imf-sdmx-ml"
    # UN Comtrade's files: a saved API answer, its CSVs, the error text saved for data
    from pa_trade.readers import comtrade

    if comtrade.looks_like_json(src):
        return "comtrade-json"
    comtrade.refuse_saved_error(src)
    first = _first_cells(non_blank)
    _refuse_own_output(src, first)
    found = comtrade.layout_of_header(first)
    if found is not None:
        return found
    names = set(header_columns(first))
    if is_tidy_header(first):
        return "tidy"
    if imf.is_dots(src.head_lines):
        return "imf-dots"
    from pa_trade.readers import sunat

    if sunat.is_cuadro(src.head_lines):
        return "sunat-cuadro"
    if imf.is_sdmx_csv(first):
        return "imf-sdmx-csv"
    # Mexico's INEGI and Chile's Aduanas: long files whose reporter their columns say
    from pa_trade.readers import aduanas, inegi

    if inegi.is_inegi_header(first):
        return "inegi-bcmm"
    found = aduanas.layout_of_header(first)
    if found is not None:
        return found
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
    aduanas.refuse_registro(src)  # datos.gob.cl's header-less declarations
    far = _years_out_of_range(src)
    if far:
        line, years = far
        raise DataError(
            f"{src.name}: line {line}: a table by year, but its years ({', '.join(years)}) "
            f"are outside 1900-2099, the years pa-trade reads")
    shown = non_blank[0].strip()
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise DataError(
        f"{src.name}: line 1: unknown layout (starts {shown!r}); expected one of "
        f"{', '.join(LAYOUTS)} (see docs/input-layouts.md), or force one with --layout"
    )


def _years_out_of_range(src: SourceFile) -> tuple[int, list[str]] | None:
    """(line, cells) of a head line that heads columns of years outside 1900-2099 ('País;
    1850;2299'), for the error of a table no layout takes; None when there is none."""
    import re

    from pa_trade import periods
    from pa_trade.readers.common import fields
    from pa_trade.textio import sniff_delimiter

    lines = src.head_lines[:60]
    delimiter = sniff_delimiter([line for line in lines if line.strip()])
    for index, line in enumerate(lines):
        cells = [c.strip() for c in fields(line, delimiter)]
        years = [c for c in cells[1:] if re.fullmatch(r"[0-9]{4}[p*]?", c)]
        if len(years) >= 1 and all(not periods.FIRST_YEAR <= int(y[:4]) <= periods.LAST_YEAR
                                   for y in years) and cells[0] and not cells[0][0].isdigit():
            return index + 1, years
    return None


def read_file(src: SourceFile, layout: str | None = None, number_style: str | None = None,
              products: bool = True, valuations: tuple[str, ...] | None = None,
              codes: str | None = None, reporter: str | None = None):
    """Read one text source -> (canonical flows, LoadReport).

    `products=False`: the caller needs no tariff codes; microdata are then summed per partner
    and month only, which is much faster. `valuations` (e.g. ('CIF',)): the import valuations
    the caller needs, where a file has several (DANE import microdata); None: all. `codes`
    ('dian' or 'iso'): how microdata's numeric country codes are read; None: decided by
    their evidence.
    """
    from pa_trade.readers import dane_microdata, tables, tidy

    if layout == "parquet":  # binary: no head to look at
        from pa_trade.readers import parquet

        return parquet.read_parquet(src)
    if layout and (non_blank := _head_non_blank(src)):
        _refuse_own_output(src, _first_cells(non_blank))
    chosen = layout or detect_layout(src)
    if chosen == "dane-expo":
        return dane_microdata.read_expo(src, number_style, products=products, codes=codes)
    if chosen == "dane-impo":
        return dane_microdata.read_impo(src, number_style, products=products,
                                        valuations=valuations, codes=codes)
    if chosen in ("dane-cuadro", "mexico-se"):
        return tables.read_table(src, chosen, number_style, reporter=reporter)
    if chosen == "tidy":
        return tidy.read_tidy(src, number_style, products=products)
    if chosen == "imf-dots":
        from pa_trade.readers import imf

        return imf.read_dots(src, number_style)
    if chosen == "imf-sdmx-csv":
        from pa_trade.readers import imf

        return imf.read_sdmx_csv(src, number_style)
    if chosen == "imf-sdmx-ml":
        from pa_trade.readers import imf

        return imf.read_sdmx_ml(src, number_style)
    if chosen in ("comtrade-plus", "comtrade-legacy"):
        from pa_trade.readers import comtrade

        return comtrade.read_csv(src, chosen)
    if chosen == "comtrade-json":
        from pa_trade.readers import comtrade

        return comtrade.read_json(src)
    if chosen == "sunat-cuadro":
        from pa_trade.readers import sunat

        return sunat.read_cuadro(src, number_style, reporter=reporter)
    if chosen == "inegi-bcmm":
        from pa_trade.readers import inegi

        return inegi.read_inegi(src)
    if chosen in ("aduanas-salidas", "aduanas-ingresos"):
        from pa_trade.readers import aduanas

        return aduanas.read_aduanas(src, chosen)
    raise UsageError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def read_input(item: Input, layout: str | None = None, number_style: str | None = None,
               products: bool = True, valuations: tuple[str, ...] | None = None,
               codes: str | None = None, reporter: str | None = None):
    """Read one input of any kind (text, a sheet of a workbook, Stata, SPSS) ->
    (canonical flows, LoadReport)."""
    from pa_trade.readers import dane_microdata

    if item.kind == "parquet":
        if layout not in (None, "parquet"):
            raise DataError(f"{item.name}: a Parquet file holds the canonical table (layout "
                            f"parquet); it cannot be read as {layout}")
        from pa_trade.readers import parquet

        return parquet.read_parquet(item.source)
    if item.kind in ("stata", "spss"):
        if layout is not None and layout not in dane_microdata.LAYOUTS:
            raise DataError(f"{item.name}: a {'Stata' if item.kind == 'stata' else 'SPSS'} "
                            f"file holds microdata; it cannot be read as {layout}")
        return dane_microdata.read_binary(item.source, item.kind, layout, number_style,
                                          products, valuations, codes)
    frame, report = read_file(item.source, layout, number_style or item.number_style,
                              products, valuations, codes, reporter)
    if report.position == "line":  # a saved Comtrade answer numbers its records instead
        report.position = item.position
    return frame, report


def _recognised(item: Input) -> None:
    """Raise DataError when an input found in a folder or an archive is of no known layout
    (or one of pa-trade's own results): it is then skipped, not read."""
    if item.kind == "text":
        detect_layout(item.source)



def load(
    paths: Iterable[str],
    layout: str | None = None,
    number_style: str | None = None,
    strict: bool = False,
    products: bool = True,
    valuations: tuple[str, ...] | None = None,
    use_cache: bool = True,
    codes: str | None = None,
    months: int | None = None,
    reporter: str | None = None,
) -> Loaded:
    """Load every input under `paths` into one canonical table, each file once.

    Inputs are files, folders, '-' (stdin), archives (ZIP, nested ZIPs, gzip) and DANE's
    binary formats (Stata, SPSS), and Excel workbooks, whose by-country cuadros are read.
    The same month in several formats (Enero.csv, Enero.dta, Enero.sav) is read once, from
    the first format that has the values. `products`, `valuations` and `codes`: what the
    caller needs (see read_file). `months` (a periods mask, --months): keep only the figures
    of those months; figures that cover others too are left out, said in `notes`. Big files
    are parsed once and kept in the user cache folder (`use_cache=False` skips it).
    Raises DataError when two files give different figures for the same flows, when a file
    has no values at all and nothing else gives its months, and, with `strict`, when any row
    was set aside.
    """
    from contextlib import ExitStack

    from pa_trade import flows
    from pa_trade.readers import inputs

    # the empty table made at the end if nothing is read: pandas is still being imported
    # while the first files are read (cli.common._settle_imports)
    loaded = Loaded(None)
    seen: dict[tuple[str, str], list[SourceFile]] = {}
    read: list[tuple[Input, pd.DataFrame, LoadReport]] = []
    asked = {"layout": layout, "number_style": number_style, "products": products,
             "valuations": valuations, "codes": codes, "reporter": reporter}
    with ExitStack() as stack:
        expansion = inputs.expand(paths, stack)
        loaded.skipped_files.extend(expansion.skipped)
        loaded.skipped_duplicates.extend(expansion.duplicates)
        items: list[Input] = []
        for item in expansion.inputs:
            if item.kind == "workbook":
                from pa_trade.readers import workbook

                sheets, skipped = workbook.sheets(item, number_style=number_style)
                items.extend(sheets)
                loaded.skipped_files.extend(skipped)
            else:
                items.append(item)
        stdin = {"read": False}
        for group in _bundles(items):
            for chosen in _read_bundle(group, loaded, seen, asked, use_cache, strict, stdin):
                item, frame, report = chosen
                if strict and report.set_aside:
                    raise DataError(f"--strict: {report.first_problem()}")
                read.append(chosen)
    read = _without_empty(read, loaded, months)
    loaded.reports.extend(report for _, _, report in read)
    if not read:
        loaded.flows = flows.empty()
        return loaded
    frames = _one_publisher_per_flow([(item.name, frame) for item, frame, _ in read], loaded)
    frames = _same_months_once(frames, loaded)
    del read, item, frame, chosen  # the frames' one holder is now `frames`, which concat empties
    combined = flows.concat(frames, consume=True)
    loaded.flows = combined
    from pa_trade.memory import give_back

    give_back()  # the files' own tables and the readers' work: a third of the table again
    if months:
        from pa_trade.periods import months_text

        loaded.flows, loaded.notes = flows.keep_months(combined, months)
        if loaded.flows.empty and not combined.empty:
            why = f" ({'; '.join(loaded.notes)})" if loaded.notes else ""
            raise DataError(f"--months {months_text(months)}: no figure of the loaded data "
                            f"covers only those months; they cover "
                            f"{flows.covered_text(combined)}{why}")
    return loaded


def _read_bundle(group: list[Input], loaded: Loaded, seen: dict, asked: dict,
                 use_cache: bool, strict: bool, stdin: dict) -> list:
    """[(input, flows, report)] of a bundle: the member counted, or every member when they
    turn out to be different data; [] when every member is skipped. A lone input is a
    bundle of one.

    Every member of a bundle is read (each from the cache of parsed files once parsed), so
    that they can be compared: the one with the fewest rows without a value is counted (the
    CSV, the .dta, the .sav, in that order, among equals), the others are said, and where
    two with values differ, by how much.
    """
    import gzip
    import zipfile
    import zlib

    from pa_trade.readers.common import NotMicrodata
    from pa_trade.readers.inputs import SEPARATOR

    results = []
    for item in group:
        src = item.source
        # a member of an archive (not a sheet of a workbook): what the download holds
        member = item.name.rsplit(SEPARATOR, 1)[0].lower().endswith((".zip", ".gz")) if (
            SEPARATOR in item.name) else False
        if item.name == "<stdin>":
            # standard input can be read once: a second '-' is the same input again
            if stdin["read"]:
                loaded.skipped_duplicates.append("<stdin> (standard input given twice)")
                continue
            stdin["read"] = True
        try:
            again = _seen_before(src, seen, _what_the_path_says(item))
            if again is not None:
                loaded.skipped_duplicates.append(
                    f"{src.name} (given twice)" if again == src.name
                    else f"{src.name} (same content as {again})")
                if len(group) > 1:
                    return []  # the bundle it belongs to was read already
                continue
            if item.in_folder and asked["layout"] is None:
                # a stray file in a data folder (notes, a README as .txt) is named, not fatal;
                # in an archive it is part of what was downloaded, never a reason to fail
                try:
                    _recognised(item)
                except DataError as exc:
                    if strict and not member:
                        raise DataError(f"--strict: {exc}") from None
                    why = str(exc)
                    if member:  # a readme beside the months: no advice on layouts
                        why = why.split("; expected one of ")[0]
                    loaded.skipped_files.append(why)
                    continue
            try:
                frame, report = _read_cached(item, asked, use_cache)
            except NotMicrodata as exc:
                if not item.in_folder or asked["layout"] is not None:
                    raise
                if strict and not member:
                    raise DataError(f"--strict: {exc}") from None
                loaded.skipped_files.append(str(exc))
                continue
        except (zipfile.BadZipFile, zlib.error, EOFError, gzip.BadGzipFile,
                NotImplementedError, RuntimeError) as exc:
            # damaged data, a compression method or an encryption zipfile cannot read
            raise DataError(f"{item.name}: cannot be decompressed ({exc})") from None
        results.append((item, frame, report))
    if len(results) < 2:
        return results
    months = [_months_of(frame) for _, frame, report in results if not report.no_values]
    if any(m != months[0] for m in months[1:]):
        return results  # the same name, but not the same months: different data
    return [_choose_member(results, loaded)]


def _read_cached(item: Input, asked: dict, use_cache: bool):
    """(flows, report) of one input, from the cache of parsed files when it is there."""
    cache_key = cache.key(item.source, {**asked, "kind": item.kind}) if use_cache else None
    cached = cache.get(cache_key, item.name)
    if cached and cached is not cache.DAMAGED:
        return cached
    frame, report = read_input(item, asked["layout"], asked["number_style"],
                               asked["products"], asked["valuations"], asked["codes"],
                               asked["reporter"])
    cache.put(cache_key, frame, report)
    if cached is cache.DAMAGED:  # said this once: the entry rebuilt does not carry it
        report.notes.append("its entry in the cache of parsed files was damaged: read again, "
                            "and the entry rebuilt")
        report.of_this_run = True
    return frame, report


def _bundles(items: list[Input]) -> list[list[Input]]:
    """The inputs grouped: the members of a bundle together, tried in the order of
    inputs.BUNDLE_ORDER (CSV, Stata, SPSS); every other input alone. First-seen order."""
    from pa_trade.readers.inputs import BUNDLE_ORDER

    groups: dict[object, list[Input]] = {}
    for index, item in enumerate(items):
        groups.setdefault(item.bundle if item.bundle is not None else index, []).append(item)
    return [sorted(group, key=lambda i: BUNDLE_ORDER.get(i.kind, 9)) for group in
            groups.values()]


def _seen_before(src: SourceFile, seen: dict, path_says: str = "") -> str | None:
    """The name of an input read before with the same content as `src` (and the same
    `path_says`), else None (and `src` is remembered). The quick fingerprint decides, and
    where it matches, every byte."""
    earlier = seen.setdefault((path_says, src.digest), [])
    for other in earlier:
        if other.content_digest == src.content_digest:
            return other.name
    earlier.append(src)
    return None


def _what_the_path_says(item: Input) -> str:
    """What an input's path adds to its content: the columns the folders of a partitioned
    Parquet table name (the same bytes under year=2022 and under year=2023 are two years'
    flows, not one file given twice); '' for every other input."""
    if item.kind != "parquet":
        return ""
    from pa_trade.readers.parquet import partition_keys

    return repr(sorted(partition_keys(item.name).items()))


def _months_of(frame: pd.DataFrame) -> set:
    return set(zip(frame["year"].tolist(), frame["month"].tolist(), strict=True))


def _choose_member(results: list, loaded: Loaded):
    """The member of a bundle to count: the fewest rows without a value; the others said in
    its report (and how much they differ where they have values too)."""
    from pa_trade.readers.inputs import FORMAT_NAMES, SEPARATOR

    def missing(report: LoadReport) -> int:
        return sum(r.reason == "missing-value" for r in report.set_aside)

    def short(item: Input) -> str:
        return item.name.rsplit(SEPARATOR, 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]

    chosen = min(results, key=lambda r: (missing(r[2]), results.index(r)))
    item, frame, report = chosen
    for other, other_frame, other_report in results:
        if other is item:
            continue
        what = f"{short(other)}, the same month in {FORMAT_NAMES[other.kind]},"
        if other_report.no_values:
            report.notes.append(
                f"read from {short(item)}: {what} has no {_value_columns(other_report)} on "
                f"any of its {other_report.rows_read:,} rows (DANE ships some months' CSVs so)")
        elif missing(other_report):
            report.notes.append(
                f"read from {short(item)}: {what} has no {_value_columns(other_report)} on "
                f"{missing(other_report):,} of its {other_report.rows_read:,} rows")
        gap = "" if missing(other_report) else _figures_gap(frame, other_frame)
        if gap:
            report.notes.append(f"{what} gives other figures: {gap}; {short(item)} is counted")
    others = [short(o) for o, _, _ in results if o is not item]
    loaded.bundles_read_once.append((item.name, others, FORMAT_NAMES[item.kind]))
    return chosen


def _figures_gap(mine: pd.DataFrame, theirs: pd.DataFrame) -> str:
    """'' when two readings of the same data give the same figures per partner and month to
    the cent; else how much they differ: 'US$ 3,696.2 M and 3,697.2 M in all; 1 partner(s)
    differ, most United States (by US$ 1.0 M)'."""
    import pandas as pd

    from pa_trade.numbers import human_number
    from pa_trade.reference import countries

    keys = ["partner", "year", "month", "flow", "valuation"]
    a = mine.groupby(keys, dropna=False)["value_usd"].sum()
    b = theirs.groupby(keys, dropna=False)["value_usd"].sum()
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1).fillna(0.0)
    gaps = (both["a"] - both["b"]).abs()
    differing = gaps[gaps >= 0.005]
    if differing.empty:
        return ""
    partners = differing.groupby(level="partner").sum()
    countries_only = partners.drop(index="WLD", errors="ignore")
    worst = (countries_only if len(countries_only) else partners).idxmax()
    world = both.xs("WLD", level="partner") if "WLD" in both.index.get_level_values(
        "partner") else both
    return (f"US$ {human_number(world['a'].sum(), 'millions')} M and "
            f"{human_number(world['b'].sum(), 'millions')} M in all; "
            f"{len(countries_only) or len(partners)} partner(s) differ, most "
            f"{countries.name(worst)} (by US$ {human_number(partners[worst], 'millions')} M)")


def _value_columns(report: LoadReport) -> str:
    from pa_trade.readers.dane_microdata import LAYOUTS

    layout = LAYOUTS.get(report.layout)
    return " or ".join(layout.values.values()) if layout else "value"


def _without_empty(read: list, loaded: Loaded, months: int | None = None) -> list:
    """The inputs read, less those with no values at all whose months other inputs give or
    that lie outside the `months` asked; DataError for one whose months nothing else
    gives."""
    empty = [entry for entry in read if entry[2].no_values]
    if not empty:
        return read
    from pa_trade.readers.dane_microdata import LAYOUTS

    full = [entry for entry in read if not entry[2].no_values]
    given: set[tuple[str, int, int]] = set()
    for _, frame, _ in full:
        dated = frame[frame["month"].notna()][["flow", "year", "month"]].drop_duplicates()
        given.update((f, int(y), int(m)) for f, y, m in dated.itertuples(index=False))
    for item, _, report in empty:
        flow = LAYOUTS[report.layout].flow if report.layout in LAYOUTS else ""
        named = [(y, m) for y, m in report.months_named]
        when = _months_text(named) or "its months"
        outside = bool(months) and not any(months >> (m - 1) & 1 for _, m in named)
        if outside:
            loaded.skipped_files.append(
                f"{item.name}: no {_value_columns(report)} on any of its {report.rows_read:,} "
                f"rows; {when} {'is' if len(named) == 1 else 'are'} not among the months asked")
            continue
        if named and all((flow, y, m) in given for y, m in named):
            loaded.skipped_files.append(
                f"{item.name}: no {_value_columns(report)} on any of its {report.rows_read:,} "
                f"rows; {when} {'comes' if len(named) == 1 else 'come'} from the other files "
                f"loaded")
            continue
        raise DataError(
            f"{item.name}: no {_value_columns(report)} on any of its {report.rows_read:,} rows, "
            f"so {when} would have no figures (DANE ships some months' CSVs so); read the "
            f".dta or .sav that DANE ships with the same month instead")
    return full


def _months_text(pairs) -> str:
    """'January 2023', 'January-March 2023' or 'January 2023, March 2024'."""
    from pa_trade.periods import months_text

    by_year: dict[int, list[int]] = {}
    for year, month in sorted(pairs):
        by_year.setdefault(year, []).append(month)
    return ", ".join(f"{months_text(months)} {year}" for year, months in by_year.items())


# Who speaks first for a flow two kinds of source give: the office's own figures (DANE, the
# Secretaría de Economía, a file of one's own), then the IMF's, then UN Comtrade's.
PUBLISHER_RANKS = (("IMF", 1), ("UN Comtrade", 2))
PUBLISHER_WORDS = {0: "the office's own figures", 1: "the IMF's", 2: "UN Comtrade's"}


def publisher_rank(source: str) -> int:
    """0 for the statistics office's own figures (and every other file), 1 for the IMF's,
    2 for UN Comtrade's: the order in which they speak for a flow both give."""
    return next((rank for start, rank in PUBLISHER_RANKS if source.startswith(start)), 0)


def _one_publisher_per_flow(frames: list[tuple[str, pd.DataFrame]], loaded: Loaded
                            ) -> list[tuple[str, pd.DataFrame]]:
    """The frames, with each reporter's flow in a year from one kind of publisher only.

    The IMF's and UN Comtrade's figures of a flow are other counts of the trade a national
    office's files give (and of each other): read together, they would add up or clash. For
    each reporter, flow and year given by more than one kind, the first in PUBLISHER_RANKS'
    order is kept whole (every partner) and the others are left out, said in a note. Files
    of one kind are compared later, figure by figure (_same_months_once)."""
    import pandas as pd

    key = ["reporter", "flow", "year"]
    sources = [frame["source"].unique() if not frame.empty else [] for _, frame in frames]
    if len({publisher_rank(s) for found in sources for s in found}) < 2:
        return frames  # one kind of publisher: nothing to choose (the usual case, and cheap)
    ranked = []
    for (_, frame), found in zip(frames, sources, strict=True):
        if frame.empty:
            ranked.append(None)
            continue
        ranks = frame["source"].map({s: publisher_rank(s) for s in found})
        ranked.append(ranks.to_numpy())
    present = [pd.DataFrame({**{k: frame[k] for k in key}, "rank": ranks}).drop_duplicates()
               for (_, frame), ranks in zip(frames, ranked, strict=True) if ranks is not None]
    if not present:
        return frames
    kinds = pd.concat(present, ignore_index=True).drop_duplicates()
    best = kinds.groupby(key, observed=True)["rank"].min().rename("best")
    if len(best) == len(kinds):
        return frames  # no flow comes from two kinds of publisher
    out = []
    for (name, frame), ranks in zip(frames, ranked, strict=True):
        if ranks is None:
            out.append((name, frame))
            continue
        keep = frame[key].join(best, on=key)["best"].to_numpy() >= ranks
        out.append((name, frame[keep]))
    dropped = kinds.join(best, on=key)
    dropped = dropped[dropped["rank"] > dropped["best"]]
    for (reporter, flow, rank, used), rows in dropped.groupby(
            ["reporter", "flow", "rank", "best"], observed=True):
        from pa_trade.periods import span
        from pa_trade.reference import countries

        loaded.notes.append(
            f"{countries.name(reporter)}'s {flow}s in {span(sorted(rows['year']))}: "
            f"{PUBLISHER_WORDS[used]} are used, not {PUBLISHER_WORDS[rank]} loaded beside "
            f"them (other counts of the same trade); load only one to choose")
    return out


def _same_months_once(frames: list[tuple[str, pd.DataFrame]], loaded: Loaded) -> list:
    """The frames, each figure once.

    Where two files give the same partner, flow, valuation and period (a month, a year, the
    months of a cumulative figure): with the same figure, the later file's rows are left out
    and said in `loaded.skipped_duplicates`; with different figures, DataError saying by how
    much. Figures of periods that overlap without being the same (a year beside its months,
    January-June beside the year) are an overlap too (DataError). Monthly files of one year
    do not overlap.
    """
    import pandas as pd

    key = ["reporter", "partner", "year", "flow", "valuation"]
    if _apart([frame for _, frame in frames], key):
        return [frame for _, frame in frames]
    cell = key + ["month", "months"]
    sums = pd.concat(
        [frame.groupby(cell, dropna=False, observed=True)["value_usd"].sum()
         .reset_index().assign(file=index) for index, (_, frame) in enumerate(frames)],
        ignore_index=True)
    files_per_key = sums.groupby(key, dropna=False)["file"].transform("nunique")
    shared = sums[files_per_key > 1]
    if shared.empty:
        return [frame for _, frame in frames]
    _refuse_overlapping_periods(shared, key, frames)
    twice = shared[shared.duplicated(cell, keep=False)].copy()
    if twice.empty:
        return [frame for _, frame in frames]
    spread = twice.groupby(cell, dropna=False)["value_usd"].agg(lambda v: v.max() - v.min())
    differing = spread[spread >= 0.005]
    if len(differing):
        raise DataError(_difference(twice, differing, frames))
    # the same figures twice: each later file leaves its copy out
    first = twice.groupby(cell, dropna=False)["file"].transform("min")
    later = twice[twice["file"] != first]
    out = []
    for index, (name, frame) in enumerate(frames):
        mine = later[later["file"] == index]
        if mine.empty:
            out.append(frame)
            continue
        marked = frame.merge(mine[cell].drop_duplicates().assign(_copy=True), on=cell,
                             how="left")
        out.append(frame[marked["_copy"].isna().to_numpy()])
        periods = mine[["reporter", "flow", "valuation", "year", "month", "months"]
                       ].drop_duplicates()
        texts = sorted({_period_text(tuple(row)) for row in periods.itertuples(index=False)})
        origin = frames[int(first[mine.index].min())][0]
        shown = ", ".join(texts[:3]) + (f" and {len(texts) - 3} more" if len(texts) > 3 else "")
        loaded.skipped_duplicates.append(
            f"{name}: the same figures as {origin} for {shown} (counted once)")
    return out


def _refuse_overlapping_periods(shared: pd.DataFrame, key: list[str], frames) -> None:
    """DataError when two files give the same partner and flow for periods that overlap
    without being the same (a year and its months, January-June and the year): some months
    would be counted twice."""
    from pa_trade import periods
    from pa_trade.flows import row_masks

    rows = shared.assign(mask=row_masks(shared))
    both = rows.merge(rows, on=key, suffixes=("", "_other"))
    both = both[(both["file"] < both["file_other"]) & (both["mask"] != both["mask_other"])
                & ((both["mask"] & both["mask_other"]) != 0)]
    if both.empty:
        return
    row = both.iloc[0]
    year = int(row["year"])
    first = periods.describe(int(row["mask"]), year)
    second = periods.describe(int(row["mask_other"]), year)
    raise DataError(
        f"{frames[int(row['file'])][0]} and {frames[int(row['file_other'])][0]} both give "
        f"{row['reporter']}'s {row['flow']}s ({row['valuation']}) with {row['partner']}: one "
        f"for {first}, the other for {second}; load only one of them, or the months they "
        f"share would be counted twice")


def _period_text(period: tuple) -> str:
    """"Colombia's exports (FOB) in January 2023" for (reporter, flow, valuation, year,
    month, months)."""
    from pa_trade import periods
    from pa_trade.periods import MONTH_NAMES
    from pa_trade.reference import countries

    reporter, flow, valuation, year, month, months = period
    if not _missing(month):
        when = f"{MONTH_NAMES[int(month)]} {year}"
    elif not _missing(months):
        when = periods.describe(periods.parse_spec(months), int(year))
    else:
        when = str(year)
    return f"{countries.name(reporter)}'s {flow}s ({valuation}) in {when}"


def _difference(twice: pd.DataFrame, differing: pd.Series, frames) -> str:
    """The one-line error for files that give different figures for the same flows: the
    period where they differ most, each file's total over the partners both give, and the
    partner that differs most."""
    from pa_trade.numbers import human_number
    from pa_trade.reference import countries

    period = ["reporter", "flow", "valuation", "year", "month", "months"]
    gaps = differing.reset_index(name="gap")
    worst_period = gaps.groupby(period, dropna=False)["gap"].sum().idxmax()
    def within(frame):
        for column, value in zip(period, worst_period, strict=True):
            frame = frame[frame[column].isna() if _missing(value) else frame[column] == value]
        return frame

    in_period = within(gaps)
    worst = in_period.loc[in_period["gap"].idxmax()]
    rows = within(twice)
    files = sorted(rows["file"].unique().tolist())[:2]
    totals = [rows[(rows["file"] == f) & (rows["partner"] != "WLD")]["value_usd"].sum()
              for f in files]

    def millions(value: float) -> str:
        return human_number(value, "millions") + " M"

    return (
        f"{frames[files[0]][0]} and {frames[files[1]][0]} both give "
        f"{_period_text(worst_period)}, with different figures: US$ {millions(totals[0])} and "
        f"{millions(totals[1])} over the partners both give; {len(in_period)} partner(s) "
        f"differ, most {countries.name(worst['partner'])} (by US$ {millions(worst['gap'])}); "
        f"load only one of them, or the trade would be counted twice"
    )


def _missing(value) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))



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
