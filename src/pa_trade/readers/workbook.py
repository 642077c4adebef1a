"""Excel workbooks: DANE's anexos (`anex-EXPORTACIONES-jun2023.xls`), one cuadro a sheet.

Each sheet that is a table by country (exports by country of destination, imports by country
of origin) becomes a text input, one line per row of the sheet, that the table reader reads
like a CSV cuadro (readers.tables); every other sheet is named in a note and skipped. Which
sheets are read is decided by their titles, the lines above the header (TITLE_RULES), never
by their rows.

Workbooks are opened with calamine (python-calamine): it reads both .xlsx and the legacy .xls
(BIFF) that DANE still publishes, fast, with no other dependency.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from pa_trade import numbers
from pa_trade.errors import DataError
from pa_trade.readers.inputs import SEPARATOR, Input
from pa_trade.textio import SourceFile

NOT_BY_COUNTRY = "not a table by country"
PART_OF_TRADE = "a table by country of part of the trade (the total by country counts it)"
NOT_OF_ORIGIN = "imports by country of purchase or provenance, not of origin"


@dataclass(frozen=True)
class TitleRule:
    """What a sheet whose title matches `pattern` is: read (`by_country`) or skipped, and
    why, in the words of the note."""

    pattern: str  # searched in the title in lower case without accents
    by_country: bool
    why: str = NOT_BY_COUNTRY


# The first rule whose pattern the title matches decides; a title no rule matches is not a
# table by country. Skipping comes first: the titles skipped name 'país de destino' too.
TITLE_RULES = (
    # the index lists every cuadro's title, those by country among them
    TitleRule(r"\bindice\b|\bcontenido\b|\bcuadro\s+[a-z]?\d+\b[\s\S]*\bcuadro\s+[a-z]?\d+\b",
              False),
    # part of the trade by country: the total by country already counts it
    TitleRule(r"\b(sin|excepto|excluye) (el )?(petroleo|cafe|carbon|ferroniquel|oro|"
              r"combustibles)", False, PART_OF_TRADE),
    TitleRule(r"\b(no )?tradicionales\b", False, PART_OF_TRADE),
    TitleRule(r"\b(de|del) (petroleo|cafe|carbon|ferroniquel|oro|flores|banano|"
              r"combustibles|esmeraldas)\b", False, PART_OF_TRADE),
    # imports: pa-trade's partner is the country of origin, never of purchase or provenance
    TitleRule(r"\bcompra\b|\bprocedencia\b", False, NOT_OF_ORIGIN),
    # groups of countries (CAN, EU, blocs): their countries are in the total by country
    TitleRule(r"\bcomunidad andina\b|\bunion europea\b|\bmercosur\b|\baladi\b|\bbloques?\b|"
              r"\bacuerdos?\b|\bzonas? (geo)?economicas?\b", False),
    # the other ways DANE breaks the trade down
    TitleRule(r"\bdepartamentos?\b", False),
    TitleRule(r"\bproductos?\b|\bcapitulos?\b|\barancel|\bnandina\b|\bcuci\b|\bciiu\b|"
              r"\bcuode\b|\bsecciones\b|\bsector(es)?\b|\bactividad\b|\buso o destino\b",
              False),
    TitleRule(r"\baduanas?\b|\b(via|modo|medio)s? de transporte\b", False),
    # what pa-trade reads: exports by country of destination, imports by country of origin
    TitleRule(r"\bpais(es)? de (destino|origen)\b|\b(segun|por) (los )?(principales )?"
              r"pais(es)?\b", True),
)

_TITLE_SHOWN = 100  # characters of a sheet's title in a note
_FORMATTED = re.compile(r"^[+-]?\(?\d[\d.,]*\)?$")  # a number as text, once spaces are gone


def sheets(item: Input, number_style: str | None = None) -> tuple[list[Input], list[str]]:
    """The by-country cuadros of a workbook as text inputs, and a note for every other sheet.

    `item` is an input of kind 'workbook'. Each sheet read is an Input of kind 'text' named
    '{workbook} › {sheet}', its rows as lines (tab-delimited; line N is row N of the sheet,
    so the load report's 'row N' is what Excel shows), with the number style the reader must
    use. The notes read like Loaded.skipped_files lines ('anex.xls › Cuadro 3: not a table
    by country (Cuadro 3: Exportaciones según departamento de origen)'). A workbook with no
    by-country cuadro gives ([], notes): the caller says so.

    `number_style` (--number-style): how numbers written as text are read; numeric cells
    are then written in it too, so that they read back as they are.

    A sheet skipped as not by country is part of what DANE publishes, not a data file of
    unknown layout: --strict does not fail on it (readers.load still fails under --strict on a
    by-country sheet it cannot read).

    Raises DataError, one line naming the file, when the workbook cannot be opened or a sheet
    cannot be read.
    """
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    found: list[Input] = []
    notes: list[str] = []
    book = _open(item)
    try:
        for meta in book.sheets_metadata:
            where = f"{item.name}{SEPARATOR}{meta.name}"
            if meta.typ != SheetTypeEnum.WorkSheet:
                notes.append(f"{where}: not a worksheet (a chart or macro sheet)")
                continue
            if meta.visible != SheetVisibleEnum.Visible:
                notes.append(f"{where}: a hidden sheet, not read")
                continue
            with _calamine(where, "cannot be read"):
                rows = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            if _imf_sheet(rows):  # an IMF DOTS sheet: every row a line, as it is
                found.append(Input(SourceFile(where, held=_imf_text(rows).encode("utf-8")),
                                   "text", in_folder=True, position="row"))
                continue
            if _sunat_sheet(rows):  # a SUNAT cuadro: every row a line, its stored values
                text = _imf_text(rows) + _sunat_format_line(item, meta.name, rows)
                found.append(Input(SourceFile(where, held=text.encode("utf-8")), "text",
                                   in_folder=True, position="row"))
                continue
            sheet = _Sheet(where, rows)
            if number_style and sheet.header is not None:
                sheet.style = sheet.convention = number_style
            verdict = sheet.verdict()
            if verdict:
                notes.append(f"{where}: {verdict}")
                continue
            found.append(Input(SourceFile(where, held=sheet.text().encode("utf-8")), "text",
                               in_folder=True, position="row", number_style=sheet.style))
    finally:
        book.close()
    return found, notes


def _open(item: Input):
    """The calamine workbook of an input; DataError naming the file when it is none."""
    from python_calamine import CalamineWorkbook

    with _calamine(item.name, "not an Excel workbook that can be read"):
        if item.source.path is not None:
            return CalamineWorkbook.from_path(str(item.source.path))
        # a member of an archive: calamine needs to seek, so it reads the bytes in memory
        return CalamineWorkbook.from_filelike(io.BytesIO(item.source.data))


@contextmanager
def _calamine(name: str, what: str) -> Iterator[None]:
    """Turn what calamine raises into one DataError line: its errors, and the Rust panics
    (a BaseException) it raises on some damaged files. The panic's own message and backtrace,
    which Rust writes straight to the process's stderr, are kept off the screen meanwhile."""
    from python_calamine import PasswordError

    try:
        with _stderr_silenced():
            yield
    except PasswordError:
        raise DataError(f"{name}: the workbook is protected by a password; save a copy "
                        f"without one") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 (calamine's errors and pyo3's PanicException)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"{name}: {what} ({reason[:200]})") from None


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """File descriptor 2 to the null device while the block runs (nothing else writes to it
    then: the workbook is read before any file's rows)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (a GUI, a closed stream)
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


class _Sheet:
    """One sheet's rows (calamine's values) and how they become the lines of a text input."""

    def __init__(self, name: str, rows: list[list]):
        self.name = name
        self.rows = [list(row) for row in rows]
        while self.rows and not any(_filled(v) for v in self.rows[-1]):
            self.rows.pop()
        used = [i for row in self.rows for i, v in enumerate(row) if _filled(v)]
        self.left = min(used, default=0)
        self.right = max(used, default=-1) + 1
        self.header = None
        self.style: str | None = None  # what the reader is told to use
        self.convention = numbers.ENGLISH  # how the numeric cells are written
        if self.rows:
            self._find_header()

    # --- what the sheet is -------------------------------------------------------------

    def _find_header(self) -> None:
        """Find the table's header on a first rendering, then where its names column is."""
        from pa_trade.readers import tables

        draft = SourceFile(self.name, held=self._render(numbers.ENGLISH).encode("utf-8"))
        header = tables.find_header(draft)
        if header.year_row is None:
            return
        self.header = header
        # the table may start right of the titles and notes (an empty column A, a logo):
        # its first column is the first one filled in its header and first rows
        near = range(header.top, min(header.end + 8, len(self.rows)))
        self.left = min((i for r in near for i, v in enumerate(self.rows[r])
                         if _filled(v) and i >= self.left), default=self.left)
        self.style, self.convention = self._number_style(draft)

    def title_lines(self) -> list[str]:
        """The lines above the header, each its cells' text joined; without a header, the
        lines above the first with two cells or more (an index, a note)."""
        if self.header is not None:
            top = self.header.top
        else:
            top = next((i for i, row in enumerate(self.rows)
                        if sum(_filled(v) for v in row) > 1), len(self.rows))
            top = min(top, 12)
        lines = [" ".join(_text(v, numbers.ENGLISH) for v in row if _filled(v))
                 for row in self.rows[:top]]
        return [line for line in lines if line]

    def verdict(self) -> str:
        """'' for a table by country to read, else what the note says of the sheet."""
        from pa_trade.readers.tables import plain

        if not self.rows:
            return "an empty sheet"
        lines = self.title_lines()
        if not lines:
            why = "no title above its header" if self.header else "no title"
            return f"{NOT_BY_COUNTRY} ({why})"
        title = plain("\n".join(lines))
        rule = next((r for r in TITLE_RULES if re.search(r.pattern, title)), None)
        if rule is not None and rule.by_country:
            return ""
        return f"{rule.why if rule else NOT_BY_COUNTRY} ({_shown_title(lines)})"

    def _number_style(self, draft: SourceFile) -> tuple[str | None, str]:
        """(style to force, style of the numeric cells) from the text cells of the values.

        No number written as text: the numeric cells are all there is, written plain, so
        English. Text like '1.234,5': that style, for the numeric cells too. Text that reads
        either way only ('1.234'): no style forced, the reader decides by the publisher's
        convention, and the numeric cells are written in it. Raises DataError for text in
        both styles, as for a CSV.
        """
        from pa_trade.readers import tables

        written = [(r + 1, v) for r in range(self.header.end + 1, len(self.rows))
                   for v in self.rows[r][self.left + 1:self.right]
                   if isinstance(v, str) and _FORMATTED.match(numbers.clean(v))
                   and ("," in v or "." in v)]
        if not written:
            return numbers.ENGLISH, numbers.ENGLISH
        style = numbers.detect_style(written, self.name)
        if style is not None:
            return style, style
        publisher = tables.publisher_of(tables.title_and_notes(draft))
        convention = publisher.number_convention if publisher else numbers.SPANISH
        return None, convention

    # --- the sheet as text -------------------------------------------------------------

    def text(self) -> str:
        """The rows as lines, the numeric cells written in the sheet's style."""
        return self._render(self.convention)

    def _render(self, style: str) -> str:
        """Every row a line, tab-delimited, quoted by the csv module where a cell needs it;
        empty rows kept, so that line N is row N. Cells left of the table's first column
        (titles and notes that start further left) join its first cell."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        for row in self.rows:
            cells = [_text(v, style) for v in row[self.left:self.right]]
            cells += [""] * (self.right - self.left - len(cells))
            before = [_text(v, style) for v in row[:self.left] if _filled(v)]
            if before and cells:
                cells[0] = " ".join([*before, cells[0]]).strip()
            writer.writerow(cells)
        return out.getvalue()


def _imf_sheet(rows: list[list]) -> bool:
    """Whether a sheet is one of the IMF's DOTS workbooks (title and unit in its first rows)."""
    from pa_trade.readers import imf

    head = ["\t".join(_text(v, numbers.ENGLISH) for v in row) for row in rows[:12]]
    return imf.is_dots(head)


def _sunat_sheet(rows: list[list]) -> bool:
    """Whether a sheet is one of SUNAT's cuadros by country ('Cuadro G 6', months as columns)."""
    from pa_trade.readers import sunat

    return sunat.is_cuadro(["\t".join(_text(v, numbers.ENGLISH) for v in row)
                            for row in rows[:20]])


def _sunat_format_line(item: Input, sheet: str, rows: list[list]) -> str:
    """The line that says how the figure cells of a SUNAT sheet are displayed (their number
    format divides by 1,000), after the rows; '' when nothing can be said of it."""
    from pa_trade.readers import sunat

    head = [[_text(v, numbers.ENGLISH) for v in row] for row in rows[:20]]
    header = next(i for i, cells in enumerate(head) if sunat.is_header(cells))
    columns = {i for i, cell in enumerate(head[header]) if cell.strip()} - {
        next(i for i, cell in enumerate(head[header]) if cell.strip())}
    note = sunat.format_note(item.source, sheet, columns, header + 1)
    return note + "\n" if note else ""


def _imf_text(rows: list[list]) -> str:
    """The rows as tab-delimited lines, numbers written plain (line N is row N)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    for row in rows:
        writer.writerow([_text(v, numbers.ENGLISH) for v in row])
    return out.getvalue()


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _text(value, style: str) -> str:
    """A cell as text that reads back exactly: integral numbers as integers (a year stays a
    year: 2023.0 -> '2023'), others with every digit Python keeps (repr), in `style`; dates as
    ISO text; text with its line breaks and runs of spaces made single spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer():
            return str(int(value))
        text = format(Decimal(repr(value)), "f")
        return text.replace(".", ",") if style == numbers.SPANISH else text
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else \
            value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return " ".join(str(value).split())


def _shown_title(lines: list[str]) -> str:
    """'Cuadro 3: Colombia. Exportaciones según departamento de origen', shortened."""
    shown = lines[0]
    if re.fullmatch(r"(?i)cuadro\s*\S+\.?", shown) and len(lines) > 1:
        shown = f"{shown.rstrip('.')}: {lines[1]}"
    return shown if len(shown) <= _TITLE_SHOWN else shown[:_TITLE_SHOWN - 3] + "..."
