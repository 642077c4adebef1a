"""Output for Excel: an .xlsx workbook (`--format xlsx`) and CSV for an Excel set to a
decimal-comma locale such as Spanish (`--format csv-excel`).

Both take what csv takes, (header, rows) whose cells are text or integers (years) and the
names of the numeric columns, so a workbook has the csv's columns and values. The workbook
is written by xlsxwriter, imported when one is written (never at `pa-trade --help`): money
as numbers with thousands separators, the header bold and frozen, and a second sheet, About,
with the title, unit, valuation, period, notes and every source. Text is written as text,
never run as a formula. Labels come from `LABELS`, or in Spanish (`--lang es`) from
`SPANISH_LABELS` and data/spanish.csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# the labels of the workbook itself; the column headers stay the csv's unless given
LABELS = {
    "data_sheet": "Data",
    "about_sheet": "About",
    "title": "Title",
    "unit": "Unit",
    "valuation": "Valuation",
    "period": "Period",
    "notes": "Notes",
    "sources": "Sources",
    "written_by": "Written by",
    "cut": "… ({n} more characters: every source is on the About sheet)",
}
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767  # characters in one cell
MAX_WIDTH = 60  # a column's width in characters, however long its texts


@dataclass
class About:
    """What the About sheet says of the table: the title a person would read over it, the
    unit of its money columns, the valuation of each side, the period, the notes (what csv
    says on stderr) and every source, one per row."""

    title: str
    unit: str
    valuation: str
    period: str
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def distinct_sources(values) -> list[str]:
    """Every source named in a column of '; '-joined sources, each once, sorted."""
    return sorted({source for value in values if isinstance(value, str)
                   for source in value.split("; ") if source})


def _number(text):
    """A machine number ('1752000000', '-2422.5', '') as an int or float; None when empty."""
    if isinstance(text, (int, float)):
        return text
    if text == "" or text is None:
        return None
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def workbook(header: list[str], rows: list[list], numeric: set[str], money: set[str],
             about: About, labels: dict[str, str] | None = None,
             column_labels: dict[str, str] | None = None) -> bytes:
    """The bytes of an .xlsx workbook: sheet Data with `header` and `rows` (the `numeric`
    columns as numbers, those of `money` with thousands separators, the rest and every other
    text as text), sheet About with `about`. `labels` replace LABELS (a language), and
    `column_labels` the headers. DataError when the rows do not fit in one sheet."""
    import io

    from pa_trade.errors import DataError, UsageError

    try:
        import xlsxwriter
    except ImportError as exc:
        raise UsageError("--format xlsx needs xlsxwriter: pip install xlsxwriter") from exc

    if len(rows) + 1 > EXCEL_MAX_ROWS:
        raise DataError(f"{len(rows):,} rows do not fit in one Excel sheet "
                        f"({EXCEL_MAX_ROWS - 1:,} at most): narrow the query, or use csv")
    labels = {**LABELS, **(labels or {})}
    column_labels = column_labels or {}
    out = io.BytesIO()
    # text is text: no formulas, links or numbers read out of strings
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": about.title, "comments": f"{about.unit}; {about.valuation}"})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet(labels["data_sheet"])
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
    for index, (name, cells) in enumerate(zip(header, columns, strict=True)):
        shown = column_labels.get(name, name)
        sheet.write_string(0, index, shown, bold)
        if name in numeric:
            values = [_number(cell) for cell in cells]
            integral = all(v is None or float(v).is_integer() for v in values)
            style = (book.add_format({"num_format": "#,##0" if integral else "#,##0.00"})
                     if name in money else None)
            for row, value in enumerate(values, start=1):
                if value is not None:
                    sheet.write_number(row, index, value, style)
            shown_as = ("{:,.0f}" if integral else "{:,.2f}") if name in money else "{}"
            texts = [shown_as.format(v) for v in values if v is not None]
        else:
            texts = []
            for row, cell in enumerate(cells, start=1):
                if isinstance(cell, bool) or not isinstance(cell, (int, float)):
                    text = _fit(str(cell), labels["cut"])
                    if text:
                        sheet.write_string(row, index, text)
                    texts.append(text)
                else:  # years
                    sheet.write_number(row, index, cell)
                    texts.append(str(cell))
        longest = max([len(shown), *(len(text) for text in texts)])
        sheet.set_column(index, index, min(longest + 2, MAX_WIDTH))
    sheet.freeze_panes(1, 0)
    if header:
        sheet.autofilter(0, 0, len(rows), len(header) - 1)
    _about_sheet(book.add_worksheet(labels["about_sheet"]), about, labels, bold, wrap)
    book.close()
    return out.getvalue()


def _fit(text: str, cut: str) -> str:
    """A text that fits in one cell: a long one (a column of sources) is cut, and says so."""
    if len(text) <= EXCEL_MAX_TEXT:
        return text
    keep = EXCEL_MAX_TEXT - len(cut.format(n=len(text)))  # the mark's longest
    return text[:keep] + cut.format(n=len(text) - keep)


SPANISH_LABELS = {
    "data_sheet": "Datos",
    "about_sheet": "Acerca de",
    "title": "Título",
    "unit": "Unidad",
    "valuation": "Valoración",
    "period": "Período",
    "notes": "Notas",
    "sources": "Fuentes",
    "written_by": "Generado con",
    "cut": "… ({n} caracteres más: todas las fuentes están en la hoja Acerca de)",
}
# text columns whose cells are words for people (ISO codes and sources stay as they are)
_SAID_COLUMNS = ("status", "flag", "measure", "period", "exporter_name", "importer_name",
                 "agreement", "exports_valuation", "imports_valuation")


def spanish_workbook(header: list[str], rows: list[list], numeric: set[str],
                     money: set[str], about: About) -> bytes:
    """workbook() with --lang es: Spanish sheet names, labels and column headers
    (data/spanish.csv: 'exports_usd' is 'exportaciones_usd'), the About said in Spanish,
    statuses and partners' names in Spanish; codes, numbers and sources as they are."""
    from pa_trade.render import words

    partner = header.index("partner") if "partner" in header else None
    said = [index for index, name in enumerate(header) if name in _SAID_COLUMNS]
    spanish_rows = []
    for row in rows:
        row = list(row)
        for index in said:
            if isinstance(row[index], str):
                row[index] = words.say(row[index])
        if partner is not None and "partner_name" in header:
            at = header.index("partner_name")
            row[at] = words.name_of(row[partner], row[at])
        spanish_rows.append(row)
    said_about = About(title=words.say(about.title), unit=words.say(about.unit),
                       valuation=words.say(about.valuation), period=words.period(about.period),
                       notes=[words.say(n) for n in about.notes], sources=about.sources)
    return workbook(header, spanish_rows, numeric, money, said_about, SPANISH_LABELS,
                    {name: words.say(name) for name in header})


def _about_sheet(sheet, about: About, labels: dict[str, str], bold, wrap) -> None:
    """Label in column A, value in B; notes and sources one a row under their label."""
    from pa_trade import __version__

    rows = [("title", [about.title]), ("unit", [about.unit]),
            ("valuation", [about.valuation]), ("period", [about.period]),
            ("notes", about.notes), ("sources", about.sources),
            ("written_by", [f"pa-trade {__version__}"])]
    line = 0
    for key, values in rows:
        if not values:
            continue
        sheet.write_string(line, 0, labels[key], bold)
        for value in values:
            sheet.write_string(line, 1, _fit(str(value), labels["cut"]), wrap)
            line += 1
    sheet.set_column(0, 0, max(len(labels[key]) for key, _ in rows) + 2)
    sheet.set_column(1, 1, 100)


def excel_csv(header: list[str], rows: list[list], numeric: set[str],
              raw_text: bool = False) -> bytes:
    """CSV for Excel in a decimal-comma locale (Spanish): ';' between fields, the `numeric`
    columns with a decimal comma (1234,5; no thousands mark), a UTF-8 BOM so that Excel
    reads the accents, CRLF line ends; text cells as in csv (render.to_delimited: a text a
    spreadsheet would run as a formula gets a leading "'" unless `raw_text`)."""
    from pa_trade.render.tables import to_delimited

    indexes = [index for index, column in enumerate(header) if column in numeric]
    comma_rows = []
    for row in rows:
        row = list(row)
        for index in indexes:
            if isinstance(row[index], str):
                row[index] = row[index].replace(".", ",")
        comma_rows.append(row)
    text = to_delimited(header, comma_rows, ";", numeric, raw_text, line_end="\r\n")
    return ("\ufeff" + text).encode("utf-8")
