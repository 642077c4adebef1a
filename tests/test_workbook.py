"""DANE's anexos in Excel: which sheets are read, which columns and months, what is skipped
and said; the by-country tables' periods (a month, the year to date) and unit lines; bad
workbooks; and a workbook written from DANE's real export microdata, read back to the cent."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from pa_trade import readers
from pa_trade.readers import inputs, tables, workbook
from pa_trade.textio import SourceFile, read_source
from tests.conftest import FIXTURES
from tests.test_readers_tables import one_line_error

ANEXOS = FIXTURES / "anexos"
EXPECTED = json.loads((ANEXOS / "expected.json").read_text(encoding="utf-8"))
REALDATA = FIXTURES.parents[1].parent / "shared" / "realdata" / "hunt1" / "dane-expo-2023"


def _generator():
    """tests/fixtures/make_workbook_fixtures.py as a module: its helpers write workbooks."""
    path = FIXTURES / "make_workbook_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_workbook_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


gen = _generator()


def figures(frame) -> dict:
    """{(partner, year, month, months, flow, valuation): Decimal dollars} of loaded flows."""
    import pandas as pd

    out = {}
    for row in frame.itertuples(index=False):
        month = None if pd.isna(row.month) else int(row.month)
        months = None if pd.isna(row.months) else str(row.months)
        key = (row.partner, int(row.year), month, months, row.flow, row.valuation)
        assert key not in out, f"{key} twice"
        out[key] = Decimal(f"{row.value_usd:.2f}")
    return out


def expected_figures(name: str) -> dict:
    return {(f["partner"], f["year"], f["month"], f["months"], f["flow"], f["valuation"]):
            Decimal(f["value_usd"]) for f in EXPECTED[name]["flows"]}


def workbook_input(path: Path) -> inputs.Input:
    return inputs.Input(read_source(str(path)), "workbook", position="row")


# --- the committed anexos ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_by_country_cuadro_is_read_to_the_cent(name):
    loaded = readers.load([str(ANEXOS / name)])
    assert figures(loaded.flows) == expected_figures(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_yearly_figures_cover_january_june_and_june_is_not_added_twice(name):
    frame = readers.load([str(ANEXOS / name)]).flows
    assert set(frame["months"]) == {"1-6"}
    assert frame["month"].isna().all()  # June's own columns are inside January-June
    (report,) = readers.load([str(ANEXOS / name)]).reports
    assert any("June columns" in note and "not added" in note and "part of" in note
               for note in report.notes)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_other_sheet_is_named_and_skipped(name):
    loaded = readers.load([str(ANEXOS / name)])
    skipped = EXPECTED[name]["skipped"]
    assert len(loaded.skipped_files) == len(skipped)
    for sheet, line in zip(skipped, loaded.skipped_files, strict=True):
        assert line.startswith(f"{ANEXOS / name} › {sheet}: ")
    assert [r.file for r in loaded.reports] == [f"{ANEXOS / name} › {s}"
                                                for s in EXPECTED[name]["read"]]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_account_of_rows_names_rows_of_the_sheet(name):
    (report,) = readers.load([str(ANEXOS / name)]).reports
    expected = EXPECTED[name]
    assert report.rows_read == expected["rows_read"] and report.rows_used == expected["rows_used"]
    assert report.balanced and report.position == "row"
    assert [(r.line, r.reason) for r in report.set_aside] == [
        (r["row"], r["reason"]) for r in expected["set_aside"]]
    assert report.number_style.split()[0] == expected["number_style"]


def test_the_load_report_says_the_row_excel_shows(run):
    path = ANEXOS / "anex-IMPORTACIONES-jun2023.xlsx"
    (planted,) = EXPECTED[path.name]["set_aside"]
    result = run("balance", "colombia", "-d", str(path), "-f", "csv")
    assert result.exit_code == 0
    assert f"[unknown-country] a country or area that is not recognised: row {planted['row']} " \
           f"(unknown country or area 'Alemaña'; did you mean Germany (DEU)" in result.stderr
    # the sheet's text: line N is row N of the sheet
    (sheet,), _ = workbook.sheets(workbook_input(path))
    assert sheet.source.lines[planted["row"] - 1].startswith("Alemaña\t")


def test_the_xls_and_the_xlsx_give_the_same_figures():
    xlsx = readers.load([str(ANEXOS / "anex-EXPORTACIONES-jun2023.xlsx")]).flows
    xls = readers.load([str(ANEXOS / "anex-EXPORTACIONES-jun2023.xls")]).flows
    assert figures(xlsx) == figures(xls)


def test_twelve_months_to_june_are_not_read_and_said():
    (report,) = readers.load([str(ANEXOS / "anex-EXPORTACIONES-jun2023.xls")]).reports
    assert any("'Doce meses a junio'" in note and "not read" in note for note in report.notes)
    assert report.unit == "US$ millones FOB"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_balance_from_an_anexo_on_the_command_line(run, name):
    result = run("balance", "colombia", "-d", str(ANEXOS / name), "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    column = "exports_usd" if EXPECTED[name]["flows"][0]["flow"] == "export" else "imports_usd"
    want = {(f["partner"], f["year"]): Decimal(f["value_usd"])
            for f in EXPECTED[name]["flows"] if f["partner"] not in ("WLD", "XAN", "XEU", "XOT")}
    got = {(r["partner"], int(r["year"])): Decimal(r[column]) for r in rows}
    assert got == want
    assert {r["months"] for r in rows} == {"1-6"}
    assert "skipped" in result.stderr and "Cuadro 1" in result.stderr


def test_the_sheets_of_a_workbook_as_text_inputs():
    path = ANEXOS / "anex-EXPORTACIONES-jun2023.xlsx"
    found, notes = workbook.sheets(workbook_input(path))
    (sheet,) = found
    assert sheet.name == f"{path} › Cuadro 4" and sheet.kind == "text"
    assert sheet.in_folder and sheet.position == "row" and sheet.number_style == "english"
    lines = sheet.source.lines
    assert lines[0].strip() == "" and lines[1].startswith("Cuadro 4")  # row 1 left for a logo
    assert lines[7].split("\t")[1:3] == ["2022", "2023p"]  # 2022.0 in the cell: still a year
    assert notes[2] == (f"{path} › Cuadro 2: not a table by country (Cuadro 2: Colombia. "
                        f"Exportaciones según departamento de origen)")


def test_numbers_written_as_text_set_the_style_of_the_sheet():
    path = ANEXOS / "anex-IMPORTACIONES-jun2023.xlsx"
    (sheet,), _ = workbook.sheets(workbook_input(path))
    assert sheet.number_style == "spanish"
    assert "\t6.820.113,9\t" in sheet.source.text


def test_a_sheet_in_an_archive_is_named_by_its_path_through_it(tmp_path):
    archive = tmp_path / "Anexos.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(ANEXOS / "anex-EXPORTACIONES-jun2023.xls", "jun/anex-EXPORTACIONES-jun2023.xls")
    loaded = readers.load([str(archive)])
    assert [r.file for r in loaded.reports] == [
        f"{archive} › jun/anex-EXPORTACIONES-jun2023.xls › Cuadro 4"]
    assert figures(loaded.flows) == expected_figures("anex-EXPORTACIONES-jun2023.xls")


def test_strict_does_not_fail_on_the_sheets_skipped():
    loaded = readers.load([str(ANEXOS / "anex-EXPORTACIONES-jun2023.xlsx")], strict=True)
    assert len(loaded.skipped_files) == 7 and not loaded.flows.empty


# --- bad workbooks -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["anex-EXPORTACIONES-jun2023.xlsx",
                                  "anex-EXPORTACIONES-jun2023.xls"])
@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_damaged_workbook_is_one_line_naming_it(run, tmp_path, capfd, name, keep):
    data = (ANEXOS / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: int(len(data) * keep)])
    message = one_line_error(lambda: readers.load([str(path)]))
    assert message.startswith(f"{path}: not an Excel workbook that can be read (")
    result = run("balance", "colombia", "-d", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"pa-trade: error: {message}\n"
    # calamine's Rust panic (a truncated .xls) prints nothing of its own on stderr
    assert "panicked" not in capfd.readouterr().err


def test_a_text_file_named_xlsx_is_no_workbook(tmp_path):
    path = tmp_path / "anex.xlsx"
    path.write_text("País;2022\nChile;1\n", encoding="utf-8")
    assert "not an Excel workbook" in one_line_error(lambda: readers.load([str(path)]))


def _book_with(*sheets):
    book = gen.Book()
    for name, rows in sheets:
        sheet = book.sheet(name)
        for index, row in enumerate(rows):
            sheet.put(index, 0, row)
    return book


def test_a_workbook_without_a_cuadro_by_country_reads_nothing_and_says_why(run, tmp_path):
    path = tmp_path / "anex-solo-departamentos.xlsx"
    book = _book_with(
        ("Cuadro 3", [["Cuadro 3"], ["Colombia. Exportaciones según departamento de origen"],
                      ["Miles de dólares FOB"], ["Departamento", 2022, "2023p"],
                      ["Antioquia", 1.5, 2.5]]),
        ("Hoja2", []))
    gen.write_xlsx(book, path)
    loaded = readers.load([str(path)])
    assert loaded.flows.empty and loaded.reports == []
    assert loaded.skipped_files == [
        f"{path} › Cuadro 3: not a table by country (Cuadro 3: Colombia. Exportaciones según "
        f"departamento de origen)",
        f"{path} › Hoja2: an empty sheet"]
    result = run("balance", "colombia", "-d", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "an empty sheet" in result.stderr and result.stderr.count("error:") == 1


def test_a_by_country_sheet_that_cannot_be_read_is_skipped_named_or_fails_strict(tmp_path):
    # a title by country, but months as columns: no header of years
    path = tmp_path / "anex.xls"
    book = _book_with(("Cuadro 9", [["Colombia. Exportaciones según país de destino, 2023"],
                                     ["Miles de dólares FOB"], ["País", "Enero", "Febrero"],
                                     ["Chile", 1.5, 2.5]]))
    gen.write_xls(book, path)
    loaded = readers.load([str(path)])
    assert loaded.flows.empty
    (skipped,) = loaded.skipped_files
    assert skipped.startswith(f"{path} › Cuadro 9: line 1: unknown layout (starts 'Colombia. "
                              f"Exportaciones según país de destino, 2023'); expected one of ")
    assert "--strict: " in one_line_error(lambda: readers.load([str(path)], strict=True))


def test_a_unit_line_whose_scale_cannot_be_told_fails(run, tmp_path):
    path = tmp_path / "anex.xlsx"
    book = _book_with(("Cuadro 4", [["Colombia. Exportaciones según país de destino"],
                                     ["Valor FOB (US$ M)"], ["País de destino", 2022, "2023p"],
                                     ["Chile", 1.5, 2.5], ["Fuente: DANE"]]))
    gen.write_xlsx(book, path)
    result = run("balance", "colombia", "-d", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"pa-trade: error: {path} › Cuadro 4: the unit line 'Valor FOB (US$ M)' names dollars "
        f"but not their scale: 'M' may be thousands or millions; cannot tell the scale of the "
        f"figures\n")


def test_a_table_starting_in_column_c_with_its_title_in_column_a(tmp_path):
    path = tmp_path / "anex.xlsx"
    book = gen.Book()
    sheet = book.sheet("Cuadro 4")
    sheet.put(0, 0, ["Colombia. Exportaciones según país de destino"])
    sheet.put(1, 0, ["Millones de dólares FOB"])
    sheet.put(3, 2, ["País de destino", 2022, "2023p"])
    sheet.put(4, 2, ["Chile", 1.25, 2.5])
    sheet.put(5, 2, ["Perú", 3, 4])
    gen.write_xlsx(book, path)
    got = figures(readers.load([str(path)]).flows)
    assert got[("CHL", 2022, None, None, "export", "FOB")] == Decimal("1250000")
    assert got[("PER", 2023, None, None, "export", "FOB")] == Decimal("4000000")


# --- periods over the years, in any by-country table ---------------------------------------

def read_text(text: str, name: str = "cuadro.txt"):
    return readers.read_file(SourceFile(name, text.encode("utf-8")))


ANEXO_TITLE = "Colombia. Exportaciones según país de destino\nMiles de dólares FOB\n"


def test_period_and_year_in_one_cell():
    frame, report = read_text(
        ANEXO_TITLE + "País de destino;Julio 2025;Julio 2026p;Variación %;Enero-julio 2025;"
        "Enero-julio 2026p\nChile;10,5;12,5;19,0;70,25;80,5\n")
    got = figures(frame)
    assert got == {("CHL", 2025, None, "1-7", "export", "FOB"): Decimal("70250"),
                   ("CHL", 2026, None, "1-7", "export", "FOB"): Decimal("80500")}


def test_a_month_outside_the_year_to_date_is_read_as_that_month():
    frame, report = read_text(ANEXO_TITLE + "País;Julio 2026p;Enero-junio 2026p\n"
                                            "Chile;10;60\n")
    assert figures(frame) == {("CHL", 2026, 7, None, "export", "FOB"): Decimal("10000"),
                              ("CHL", 2026, None, "1-6", "export", "FOB"): Decimal("60000")}


def test_a_month_alone_is_read_as_monthly_figures():
    frame, _ = read_text(ANEXO_TITLE + "País de destino;Ene 2026;Jul 2026p\nChile;10;12\n")
    assert set(figures(frame)) == {("CHL", 2026, 1, None, "export", "FOB"),
                                   ("CHL", 2026, 7, None, "export", "FOB")}


def test_the_whole_year_block_is_a_year():
    frame, _ = read_text(ANEXO_TITLE + "País;Enero - diciembre;;Total año\n;2024;2025p;2023\n"
                                       "Chile;10;12;9\n")
    assert set(figures(frame)) == {("CHL", y, None, None, "export", "FOB")
                                   for y in (2023, 2024, 2025)}


def test_year_to_date_without_its_month_takes_the_month_block_or_fails():
    frame, _ = read_text(ANEXO_TITLE + "País;Año corrido;;Julio\n;2025;2026p;2026p\n"
                                       "Chile;70;80;12\n")
    assert set(figures(frame)) == {("CHL", 2025, None, "1-7", "export", "FOB"),
                                   ("CHL", 2026, None, "1-7", "export", "FOB")}
    message = one_line_error(lambda: read_text(ANEXO_TITLE + "País;Año corrido\n;2026p\n"
                                                              "Chile;80\n"))
    assert "'Año corrido'" in message and "to which month" in message


def test_a_title_naming_the_year_to_date_over_plain_years():
    frame, report = read_text("Colombia. Exportaciones según país de destino, enero - junio\n"
                              "Miles de dólares FOB\nPaís;2022;2023p\nChile;60;70\n")
    assert set(figures(frame)) == {("CHL", 2022, None, "1-6", "export", "FOB"),
                                   ("CHL", 2023, None, "1-6", "export", "FOB")}
    assert any("the title names January–June" in note for note in report.notes)
    message = one_line_error(lambda: read_text(
        "Colombia. Exportaciones según país de destino, junio y enero - junio\n"
        "Miles de dólares FOB\nPaís;2022;2023p\nChile;60;70\n"))
    assert "several periods" in message


def test_a_block_of_tonnes_is_not_read_as_dollars():
    frame, report = read_text(ANEXO_TITLE + "País;Junio;;Toneladas\n;2025;2026p;2026p\n"
                                            "Chile;10;12;5000\n")
    assert set(figures(frame)) == {("CHL", 2025, 6, None, "export", "FOB"),
                                   ("CHL", 2026, 6, None, "export", "FOB")}
    assert any("under 'Toneladas' ignored" in note for note in report.notes)


def test_the_same_period_of_a_year_twice_is_refused():
    message = one_line_error(lambda: read_text(ANEXO_TITLE + "País;Junio 2026p;Junio 2026p\n"
                                                              "Chile;10;12\n"))
    assert "the year 2026 heads two export columns of June" in message


@pytest.mark.parametrize("unit, multiplier", [
    ("Valor FOB (miles de dólares)", 1_000), ("US$ millones FOB", 1_000_000),
    ("miles de US$", 1_000), ("millones de US$", 1_000_000), ("Miles de dólares CIF", 1_000),
    ("Millones de dólares FOB", 1_000_000), ("Dólares FOB", 1),
    ("Valores en miles de dólares", 1_000), ("Cifras en MMUS$", 1_000_000),
    ("Miles de millones de dólares", 1_000_000_000),
])
def test_unit_lines_as_the_offices_write_them(unit, multiplier):
    assert tables.scale_of(f"Colombia. Exportaciones\n{unit}") == (multiplier, unit)


@pytest.mark.parametrize("unit", ["US$ M FOB", "Miles de dólares\nMillones de dólares",
                                  "Billones de dólares"])
def test_a_scale_that_cannot_be_told_is_an_error_not_dollars(unit):
    with pytest.raises(ValueError):
        tables.scale_of(unit)


# --- a workbook written from DANE's real export microdata ----------------------------------

@pytest.fixture(scope="module")
def real_exports():
    """FOBDOL summed per COD_PAI4 (ISO3 beside DIAN's PAIS), January-June and June 2023, in
    US dollars; skipped when the real files are absent."""
    files = sorted(REALDATA.glob("*.csv"))
    if not files:
        pytest.skip("DANE's real export microdata (shared/realdata) are absent")
    import pandas as pd

    frame = pd.concat([pd.read_csv(f, usecols=["FECH", "COD_PAI4", "FOBDOL"],
                                   dtype={"COD_PAI4": str}) for f in files])
    to_date = frame.groupby("COD_PAI4")["FOBDOL"].sum()
    june = frame[frame["FECH"] == 2306].groupby("COD_PAI4")["FOBDOL"].sum()
    return {code: (Decimal(int(to_date[code])), Decimal(int(june.get(code, 0))))
            for code in to_date.index}


def real_anexo(exports: dict, tmp_path: Path, suffix: str):
    """An anexo like DANE's from the real sums: index, by product group, by department,
    CAN/EU, and the cuadro by country in thousands of dollars (rounded as DANE shows them),
    June and January-June of 2023 and of '2022' (made up as 0.9 x 2023). Returns (path,
    {partner: (2022, 2023) year-to-date thousands written}, the planted row's number)."""
    from pa_trade.reference import countries

    # the national territory as DANE names it in its tables, not 'Colombia' (the reporter)
    names = {"COL": "Territorio nacional (Colombia)"}
    partners = {"COL": "XTN"}
    lines, written = [], {}
    for code, (to_date, june) in sorted(exports.items(), key=lambda kv: -kv[1][0]):
        now, month = gen.q(to_date / 1000), gen.q(june / 1000)
        before, month_before = gen.q(now * Decimal("0.9")), gen.q(month * Decimal("0.9"))
        lines.append(gen.Line(names.get(code) or countries.name(code, "es"), month_before,
                              month, before, now))
        written[partners.get(code, code)] = (before, now)
    total = gen.Line("Total", *(sum(getattr(x, f) for x in lines) for f in
                                ("month_before", "month_now", "to_date_before", "to_date_now")))
    written["WLD"] = (total.to_date_before, total.to_date_now)
    andean = [line for line, code in zip(lines, sorted(exports, key=lambda c: -exports[c][0]),
                                         strict=True) if code in ("BOL", "ECU", "PER")]
    can = gen.Line("Comunidad Andina", *(sum(getattr(x, f) for x in andean) for f in
                                         ("month_before", "month_now", "to_date_before",
                                          "to_date_now")))
    written["XAN"] = (can.to_date_before, can.to_date_now)
    planted = gen.Line("Atlántida", Decimal("1.5"), Decimal("1.5"), Decimal("9"), Decimal("9"))

    book = gen.Book()
    gen.index_sheet(book, "Exportaciones", [
        ("Cuadro 1", "Colombia. Exportaciones según grupos de productos OMC"),
        ("Cuadro 2", "Colombia. Exportaciones según departamento de origen"),
        ("Cuadro 3", "Colombia. Exportaciones a la Comunidad Andina y a la Unión Europea"),
        ("Cuadro 4", "Colombia. Exportaciones según país de destino")])
    gen.simple_cuadro(book, "Cuadro 1", "Cuadro 1",
                      "Colombia. Exportaciones según grupos de productos OMC",
                      "Grupos de productos", ["Agropecuarios", "Combustibles", "Manufacturas"], 1)
    gen.simple_cuadro(book, "Cuadro 2", "Cuadro 2",
                      "Colombia. Exportaciones según departamento de origen", "Departamento",
                      ["Antioquia", "Bogotá, D.C.", "Cesar"], 2)
    gen.simple_cuadro(book, "Cuadro 3", "Cuadro 3",
                      "Colombia. Exportaciones a la Comunidad Andina y a la Unión Europea",
                      "País de destino", ["Comunidad Andina", "Ecuador", "Unión Europea"], 3)
    sheet = book.sheet("Cuadro 4")
    gen.title_rows(sheet, 0, "Cuadro 4", "Colombia. Exportaciones según país de destino",
                   "Junio y enero - junio (2022 - 2023p)", "Valor FOB (miles de dólares)")
    gen.two_row_header(sheet, 6, 0, "País de destino", "Junio", "Enero - junio")
    rows = gen.by_country_rows([total, can, *lines, planted], total)
    for offset, row in enumerate(rows):
        sheet.put(9 + offset, 0, row)
    gen.footnotes(sheet, 9 + len(rows) + 1, 0)
    path = tmp_path / f"anex-EXPORTACIONES-jun2023.{suffix}"
    (gen.write_xlsx if suffix == "xlsx" else gen.write_xls)(book, path)
    return path, written, 9 + len(rows)  # the planted row is the last: row 9 + len(rows)


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_an_anexo_of_the_real_microdata_reads_back_every_partner(real_exports, tmp_path,
                                                                 suffix, run):
    path, written, planted_row = real_anexo(real_exports, tmp_path, suffix)
    loaded = readers.load([str(path)])
    got = figures(loaded.flows)
    want = {}
    for partner, (before, now) in written.items():
        want[(partner, 2022, None, "1-6", "export", "FOB")] = before * 1000
        want[(partner, 2023, None, "1-6", "export", "FOB")] = now * 1000
    assert got == want  # every partner, to the cent, June not added
    # what was written is DANE's rounding of the microdata's own sums
    for code, (to_date, _) in real_exports.items():
        partner = {"COL": "XTN"}.get(code, code)
        assert abs(got[(partner, 2023, None, "1-6", "export", "FOB")] - to_date) <= 5
    assert len(written) == len(real_exports) + 2  # and the Total and Comunidad Andina rows

    (report,) = loaded.reports
    assert [(r.line, r.reason) for r in report.set_aside] == [(planted_row, "unknown-country")]
    assert [line.split(": ", 1)[0] for line in loaded.skipped_files] == [
        f"{path} › {name}" for name in ("Índice", "Cuadro 1", "Cuadro 2", "Cuadro 3")]

    result = run("balance", "colombia", "-d", str(path), "-f", "csv")
    assert result.exit_code == 0
    assert f"row {planted_row} (unknown country or area 'Atlántida'" in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    shown = {(r["partner"], int(r["year"])): Decimal(r["exports_usd"]) for r in rows}
    assert {r["months"] for r in rows} == {"1-6"}
    for code in real_exports:
        partner = {"COL": "XTN"}.get(code, code)
        for year, value in zip((2022, 2023), written[partner], strict=True):
            if (partner, year) in shown or code not in ("COL", "XCF"):
                assert shown[(partner, year)] == value * 1000
