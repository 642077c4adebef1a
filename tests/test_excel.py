"""Output for Excel: `--format xlsx -o FILE` writes a workbook (read back here with openpyxl, a
library other than the one that writes it) whose cells are the csv's, numbers as numbers,
with the notes and sources on its About sheet; `--format csv-excel` is the csv for an Excel in
a decimal-comma locale (';', 1234,5, a UTF-8 BOM, CRLF)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import openpyxl
import pytest

from tests.conftest import FIXTURES, ROOT
from tests.test_output_safety import HOSTILE_TIDY, HYPERLINK

EXAMPLE = str(ROOT / "examples" / "pa_trade_2000_2020.csv")
PRODUCTS = str(FIXTURES / "tidy_month_hs_code.csv")

COMMANDS = [
    ["balance", "colombia", "-y", "2018-2020", "-d", EXAMPLE],
    ["balance", "colombia", "-y", "2020", "--totals", "--units", "millions", "-d", EXAMPLE],
    ["balance", "colombia", "--gl", "chapter", "-d", PRODUCTS],
    ["mirror", "chile", "mexico", "-y", "2015-2020", "-d", EXAMPLE],
    ["trend", "chile", "-p", "korea", "-d", EXAMPLE],
    ["trend", "chile", "-p", "korea", "--summary", "-d", EXAMPLE],
    ["matrix", "-y", "2019", "-d", EXAMPLE],
    ["matrix", "-y", "2019", "--units", "billions", "-d", EXAMPLE],
    ["products", "colombia", "-p", "mexico", "-d", PRODUCTS],
]
IDS = [" ".join(a for a in args if a not in (EXAMPLE, PRODUCTS)) for args in COMMANDS]


def csv_rows(run, args) -> list[list[str]]:
    """The csv of a command, text cells as they are (a workbook's text needs no quote)."""
    result = run(*args, "-f", "csv", "--raw-text", "-q")
    assert result.exit_code == 0, result.stderr
    return list(csv.reader(io.StringIO(result.stdout)))


def workbook_of(run, args, path):
    result = run(*args, "-f", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert (f"pa-trade: wrote {path}" in result.stderr) is ("-q" not in args)
    return openpyxl.load_workbook(path)


def number(text: str):
    return None if text == "" else float(text)


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_workbook_holds_the_csv_with_numbers_as_numbers(run, tmp_path, args):
    expected = csv_rows(run, args)
    book = workbook_of(run, args, tmp_path / "out.xlsx")
    assert book.sheetnames == ["Data", "About"]
    sheet = book["Data"]
    got = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = expected[0]
    assert got[0] == header
    assert len(got) == len(expected)
    numbers = 0
    for want_row, got_row in zip(expected[1:], got[1:], strict=True):
        for column, want, cell in zip(header, want_row, got_row, strict=True):
            if isinstance(cell, (int, float)):  # numbers are numbers, equal to the csv's
                assert cell == pytest.approx(float(want), rel=1e-12, abs=1e-9), column
                numbers += 1
            elif cell is None:
                assert want == "", column
            else:
                assert cell == want, column  # text: codes stay text ("09", never 9)
    assert numbers > 0
    assert sheet.freeze_panes == "A2"  # the header stays in view
    assert all(cell.font.b for cell in sheet[1])
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert {"Title", "Unit", "Valuation", "Period", "Sources", "Written by"} <= set(about)
    units = next((u for u in ("millions", "billions") if u in args), None)
    assert about["Unit"] == (f"{units} of US dollars" if units else "US dollars")


@pytest.mark.parametrize("args", [
    COMMANDS[0], COMMANDS[3],
    ["balance", "colombia", "-y", "2022"],  # built-in data: notes of its own
    ["matrix", "-d", EXAMPLE],  # the year chosen for the user, said in a note
], ids=lambda args: " ".join(a for a in args if a != EXAMPLE))
def test_the_about_sheet_names_every_source_and_note(run, tmp_path, args):
    book = workbook_of(run, args, tmp_path / "out.xlsx")
    about = list(book["About"].iter_rows(values_only=True))
    labels = [label for label, _ in about]
    start = labels.index("Sources")
    end = next(i for i in range(start + 1, len(about)) if labels[i])
    sources = {value for _, value in about[start:end]}
    rows = csv_rows(run, args)
    if "sources" in rows[0]:  # the matrix's csv has none: the sheet has them all the same
        column = rows[0].index("sources")
        named = {s for row in rows[1:] for s in row[column].split("; ") if s}
        assert named == sources  # every source, each in its own row
    assert sources == {"pa-trade example data (made-up figures)"} or "-d" not in args
    result = run(*args, "-f", "csv")  # the notes csv gives on stderr are on the sheet
    notes = [line.removeprefix("pa-trade: note: ") for line in result.stderr.splitlines()
             if line.startswith("pa-trade: note: ")]
    values = {value for _, value in about}
    assert all(note in values for note in notes)
    if "-d" not in args or "matrix" in args:
        assert notes


def test_a_products_workbook_names_its_sources(run, tmp_path):
    book = workbook_of(run, COMMANDS[-1], tmp_path / "out.xlsx")
    about = {value for _, value in book["About"].iter_rows(values_only=True)}
    assert {"DANE EXPO", "DANE IMPO"} <= about
    assert any(str(value).startswith("values in US dollars; exports FOB") for value in about)


def test_money_shows_thousands_separators(run, tmp_path):
    book = workbook_of(run, COMMANDS[0], tmp_path / "out.xlsx")
    sheet = book["Data"]
    header = [cell.value for cell in sheet[1]]
    exports = sheet.cell(row=2, column=header.index("exports_usd") + 1)
    assert isinstance(exports.value, (int, float)) and exports.number_format.startswith("#,##0")
    assert sheet.cell(row=2, column=header.index("year") + 1).data_type == "n"


def test_text_that_looks_like_a_formula_is_text(run, tmp_path):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(HOSTILE_TIDY, encoding="utf-8")
    args = ["balance", "colombia", "-d", str(hostile), "-y", "2022", "-q"]
    book = workbook_of(run, args, tmp_path / "out.xlsx")
    sheet = book["Data"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    mexico = next(row for row in rows if row["partner"].value == "MEX")
    assert mexico["sources"].value == f"{HYPERLINK}; @SUM(A1)"  # as it is, no "'"
    assert mexico["sources"].data_type == "s"  # text, never a formula
    assert mexico["balance_usd"].value == -200
    about = [cell for row in book["About"].iter_rows() for cell in row]
    formula = next(cell for cell in about if cell.value == HYPERLINK)
    assert formula.data_type == "s"
    for row in book["Data"].iter_rows():
        assert all(cell.data_type != "f" for cell in row)


def test_a_workbook_goes_down_a_pipe_with_dash(run):
    result = run("balance", "colombia", "-y", "2022", "-f", "xlsx", "-o", "-", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"PK")  # a zip: an .xlsx
    book = openpyxl.load_workbook(io.BytesIO(result.stdout_bytes))
    assert book["Data"]["F2"].value == 1752000000


def test_a_name_ending_in_xlsx_is_enough(run, tmp_path):
    path = tmp_path / "colombia.xlsx"
    result = run("balance", "colombia", "-y", "2022", "-o", str(path), "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""
    assert openpyxl.load_workbook(path)["Data"]["A2"].value == "COL"


@pytest.mark.parametrize("args, message", [
    (["-f", "xlsx"], "give --output FILE.xlsx"),
    (["-f", "xlsx", "-o", "out.xls"], "must end in .xlsx"),
    (["-f", "csv", "-o", "out.xlsx"], "use --format xlsx"),
])
def test_a_workbook_needs_a_file(run, tmp_path, args, message):
    os.chdir(tmp_path)
    result = run("balance", "colombia", "-y", "2022", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_said_before_anything_is_read(run, tmp_path):
    result = run("balance", "colombia", "-f", "xlsx", "-o", str(tmp_path / "no" / "out.xlsx"))
    assert result.exit_code == 3
    assert "no such folder" in result.stderr and "note:" not in result.stderr


def test_a_workbook_is_never_written_to_a_terminal(tmp_path):
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "pa_trade", "balance", "colombia", "-y",
                               "2022", "-f", "xlsx", "-o", "-"], stdout=follower,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                              env={**os.environ, "PA_TRADE_DATA": ""})
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert "standard output is a terminal" in done.stderr


def test_output_writes_text_formats_too(run, tmp_path):
    path = tmp_path / "out.csv"
    result = run("balance", "colombia", "-y", "2022", "-f", "csv", "-o", str(path), "-q")
    assert result.exit_code == 0 and result.stdout == ""
    printed = run("balance", "colombia", "-y", "2022", "-f", "csv", "-q").stdout
    assert path.read_text(encoding="utf-8") == printed


def test_help_loads_no_excel_library():
    code = ("import sys; from pa_trade.cli import main\n"
            "try:\n    main(['balance', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('xlsxwriter' in sys.modules, 'openpyxl' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split()[-2:] == ["False", "False"]


def test_a_missing_xlsxwriter_is_one_line(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)  # import now fails
    result = run("balance", "colombia", "-y", "2022", "-f", "xlsx", "-o",
                 str(tmp_path / "out.xlsx"), "-q")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("pa-trade: error: --format xlsx needs xlsxwriter: "
                                     "pip install xlsxwriter")


# --- csv-excel -----------------------------------------------------------------------------

@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_excel_csv_reads_back_to_the_csv(run, args):
    expected = csv_rows(run, args)
    result = run(*args, "-f", "csv-excel", "--raw-text", "-q")
    assert result.exit_code == 0, result.stderr
    data = result.stdout_bytes
    assert data.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    got = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert got[0] == expected[0]
    numeric = {column for column, *cells in zip(*expected, strict=True)
               if any(c for c in cells) and all(c == "" or _is_number(c) for c in cells)}
    commas = 0
    for want_row, got_row in zip(expected[1:], got[1:], strict=True):
        for column, want, cell in zip(expected[0], want_row, got_row, strict=True):
            if column in numeric and column != "year":
                assert "." not in cell
                commas += "," in cell
                assert number(cell.replace(",", ".")) == number(want), column
            else:
                assert cell == want, column
    if "products" in args or "trend" in args:
        assert commas > 0  # shares, changes: decimals with a comma


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_excel_csv_keeps_formula_text_quoted(run, tmp_path):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(HOSTILE_TIDY, encoding="utf-8")
    result = run("balance", "colombia", "-d", str(hostile), "-y", "2022", "-f", "csv-excel",
                 "-q")
    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"),
                                           newline=""), delimiter=";"))
    mexico = next(row for row in rows if row["partner"] == "MEX")
    assert mexico["sources"] == f"'{HYPERLINK}; @SUM(A1)"
    assert mexico["balance_usd"] == "-200"


def test_the_excel_csv_shown_in_the_docs_is_what_is_written(run, tmp_path):
    page = (ROOT / "docs" / "balance.md").read_text(encoding="utf-8")
    shown = page.split("What `mexico.csv` holds")[1].split("```text\n")[1].split("```")[0]
    path = tmp_path / "mexico.csv"
    result = run("products", "colombia", "-p", "mexico", "-d", PRODUCTS, "-f", "csv-excel",
                 "-o", str(path), "-q")
    assert result.exit_code == 0, result.stderr
    written = path.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    assert written[3:].decode("utf-8").startswith(shown.replace("\n", "\r\n"))


def test_a_chart_written_to_a_file_has_no_colour_codes(tmp_path):
    import pty

    path = tmp_path / "balance.txt"
    leader, follower = pty.openpty()  # stdout a terminal: colour would be on
    try:
        done = subprocess.run([sys.executable, "-m", "pa_trade", "balance", "colombia", "-y",
                               "2022", "--chart", "-o", str(path), "-q"], stdout=follower,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                              env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"},
                                   "PA_TRADE_DATA": ""})
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    text = path.read_text(encoding="utf-8")
    assert "Balance, millions" in text and "\x1b[" not in text
