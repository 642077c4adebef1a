"""Issue 15, items 5, 9 and 10 through the CLI: published balances beside the computed ones,
tables that fit the terminal, and Spanish for people (machine formats stay English)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "pa_trade_2000_2020.csv")
NARROW = {"COLUMNS": "80"}


def table_lines(out: str) -> list[str]:
    """The lines of the tables: from a header's rule to the blank line after the table."""
    lines, inside = out.splitlines(), False
    found = []
    for index, line in enumerate(lines):
        if line.startswith("-") and set(line) <= {"-", " "}:
            if not inside:
                found.append(lines[index - 1])
            inside = True
        if inside:
            if not line.strip():
                inside = False
                continue
            found.append(line)
    return found


def fits(out: str, width: int = 80) -> None:
    """Every line fits, but for a word (an address) that is wider than the width alone."""
    for line in out.splitlines():
        assert len(line) <= width or " " not in line.strip(), line


# --- 9: tables fit 80 columns, and nothing is cut at 200 -------------------------------------

def test_the_main_job_fits_80_columns_with_the_published_balance_beside(run):
    result = run("balance", "colombia", "--year", "2022", env=NARROW)
    assert result.exit_code == 0, result.stderr
    fits(result.stdout)
    lines = result.stdout.splitlines()
    mexico = next(i for i, line in enumerate(lines) if line.startswith("Mexico"))
    assert "-2,422.0" in lines[mexico] and "CIF" in lines[mexico]
    # MinCIT's own figure, imports FOB, on the next row
    assert "published by MinCIT" in lines[mexico + 1] and "-2,231.0" in lines[mexico + 1]
    assert "FOB" in lines[mexico + 1]
    world = next(i for i, line in enumerate(lines) if line.startswith("World"))
    assert "published by DANE" in lines[world + 1] and "-14,536.2" in lines[world + 1]


@pytest.mark.parametrize("args", [
    ("balance", "colombia", "--year", "2022"),
    ("balance", "pa", "-y", "2022"),
    ("balance", "pa", "-y", "2019", "-d", EXAMPLE),
    ("balance", "colombia", "-y", "2018-2019", "-d", EXAMPLE),
    ("mirror", "colombia", "mexico", "-y", "2019", "-d", EXAMPLE),
    ("trend", "colombia", "-p", "korea", "-y", "2010-2020", "-d", EXAMPLE),
    ("matrix", "-y", "2019", "-d", EXAMPLE),
])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_tables_fit_80_columns(run, args, lang):
    result = run(*args, "--lang", lang, env=NARROW)
    assert result.exit_code == 0, result.stderr
    assert table_lines(result.stdout)
    for line in table_lines(result.stdout):
        assert len(line) <= 80, line
    fits(result.stdout)


def test_at_200_columns_nothing_is_dropped_or_shortened(run):
    result = run("balance", "colombia", "--year", "2022", env={"COLUMNS": "200"})
    out = result.stdout
    header = next(line for line in out.splitlines() if line.startswith("Partner"))
    assert "Year" in header and "Imports val." in header
    assert "Pacific Alliance (CHL, MEX, PER)" in out and "World (as reported)" in out
    narrow = run("balance", "colombia", "--year", "2022", env=NARROW).stdout
    assert "Pacific Alliance (CHL, MEX, PER)" not in narrow
    # what the narrow table left out is said under it
    assert "the Pacific Alliance row adds the partners CHL, MEX, PER" in narrow


def test_width_zero_never_folds(run):
    wide = run("balance", "pa", "-y", "2019", "-d", EXAMPLE, "--width", "0", env=NARROW).stdout
    header = next(line for line in wide.splitlines() if line.startswith("Reporter"))
    assert "Year" in header and len(header) > 80


def test_width_is_an_option_too(run):
    out = run("mirror", "colombia", "mexico", "-y", "2019", "-d", EXAMPLE, "--width", "60",
              env={"COLUMNS": "200"}).stdout
    assert "COL → MEX" in out  # names gave way to codes
    assert "Colombia → Mexico" not in out


def test_notes_wrap_to_the_width(run):
    out = run("balance", "colombia", "--year", "2022", env=NARROW).stdout
    assert any(line.startswith("  ") and "FOB; MinCIT" in line for line in out.splitlines())
    fits(out)


def test_a_one_partner_total_is_not_repeated_every_year(run):
    result = run("balance", "colombia", "-y", "2015-2019", "-p", "mexico", "-d", EXAMPLE,
                 env=NARROW)
    assert result.exit_code == 0, result.stderr
    assert "Total, 1 partner" not in result.stdout
    assert sum(line.startswith("Mexico") for line in result.stdout.splitlines()) == 5


# --- 5: the published balances -----------------------------------------------------------------

def _colombia_peru(tmp_path: Path, months: str = "") -> str:
    path = tmp_path / "col_per.csv"
    month_column = ",month" if months else ""
    lines = [f"reporter,partner,year{month_column},flow,value_usd,valuation,source"]
    for month in (months.split() if months else [""]):
        cell = f",{month}" if months else ""
        lines += [f"COL,PER,2022{cell},export,1200000000,FOB,test",
                  f"COL,PER,2022{cell},import,1000000000,CIF,test"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_dane_balance_with_peru_is_beside_the_computed_one(run, tmp_path):
    result = run("balance", "colombia", "-y", "2022", "-d", _colombia_peru(tmp_path),
                 env=NARROW)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    peru = next(i for i, line in enumerate(lines) if line.startswith("Peru"))
    assert "200.0" in lines[peru]
    assert "published by DANE" in lines[peru + 1] and "138.3" in lines[peru + 1]
    assert "surplus" in lines[peru + 1]


def test_no_published_year_beside_part_of_a_year(run, tmp_path):
    data = _colombia_peru(tmp_path, months="1 2 3")
    result = run("balance", "colombia", "-y", "2022", "-d", data, env=NARROW)
    assert result.exit_code == 0, result.stderr
    assert "published by" not in result.stdout
    said = " ".join(result.stdout.split())
    assert "covers only part of the year" in said and "cannot be compared" in said


def test_machine_formats_keep_one_row_per_pair_and_say_the_published_balance(run):
    result = run("balance", "colombia", "-y", "2022", "-p", "mexico", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["partner"] for row in rows] == ["MEX"]
    assert "published balance of Colombia with Mexico in 2022: -2,231.0 M" in result.stderr


# --- 10: Spanish -------------------------------------------------------------------------------

def test_a_spanish_run_says_deficit_and_mexico(run):
    result = run("balance", "colombia", "--year", "2022", "--lang", "es", env=NARROW)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Colombia: balanza comercial por socio, 2022" in out
    line = next(line for line in out.splitlines() if line.startswith("México"))
    # DANE's style of numbers: 1.752,0
    assert "1.752,0" in line and "4.174,0" in line and "-2.422,0" in line and "déficit" in line
    lines = out.splitlines()
    below = lines[lines.index(line) + 1]
    assert below.startswith("↳") and "MinCIT" in below and "-2.231,0" in below
    assert "Socio" in out and "Saldo" in out and "Nota:" in out and "Fuentes:" in out
    assert "Mundo" in out
    fits(out)


def test_notes_are_in_spanish_whole(run):
    out = run("balance", "pa", "-y", "2022", "--lang", "es", env={"COLUMNS": "400"}).stdout
    notes = [line for line in out.splitlines() if line.startswith("Nota:")]
    assert notes
    for note in notes:
        assert " the " not in note and " with " not in note, note
    assert any("comercio intrabloque en 2022" in note and "no un superávit ni un déficit"
               in note for note in notes)


@pytest.mark.parametrize("env", [{"PA_TRADE_LANG": "es"}, {"PA_TRADE_LANG": "",
                                                          "LC_ALL": "es_CO.UTF-8"}])
def test_the_language_comes_from_the_environment(run, env):
    out = run("balance", "colombia", "--year", "2022", env={**NARROW, **env}).stdout
    assert "déficit" in out and "México" in out


def test_mexican_spanish_writes_mexicos_numbers(run):
    out = run("balance", "colombia", "--year", "2022", "--lang", "es-mx").stdout
    line = next(line for line in out.splitlines() if line.startswith("México"))
    assert "1,752.0" in line and "déficit" in line


def test_an_unknown_language_is_one_line(run):
    result = run("balance", "colombia", "--lang", "fr")
    assert result.exit_code == 2
    assert "pa-trade speaks en, es and es-mx" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_machine_formats_stay_english(run, fmt):
    result = run("balance", "colombia", "-y", "2022", "-p", "mexico", "-f", fmt, "--lang", "es")
    assert result.exit_code == 0, result.stderr
    assert "deficit" in result.stdout and "déficit" not in result.stdout
    assert "exports_usd" in result.stdout and "Mexico" in result.stdout


def test_other_commands_speak_spanish(run):
    mirror = run("mirror", "colombia", "mexico", "-y", "2019", "-d", EXAMPLE, "--lang", "es")
    assert "Estadísticas espejo: Colombia y México, 2019" in mirror.stdout
    trend = run("trend", "colombia", "-p", "korea", "-y", "2014-2018", "-d", EXAMPLE,
                "--lang", "es").stdout
    assert "Colombia: comercio con Corea del Sur, 2014–2018" in trend
    assert "TCAC 2014–2018" in trend
    # agreements by the names their parties use: TLC, APC, AAE
    assert "◆ después del TLC Colombia–Corea del Sur, 2015–2018" in trend
    assert "◆ TLC Colombia–Corea del Sur: en vigor desde 2016-07-15" in trend
    matrix = run("matrix", "-y", "2019", "-d", EXAMPLE, "--lang", "es").stdout
    assert "Alianza del Pacífico: comercio entre miembros" in matrix and "Perú" in matrix


def test_a_spanish_workbook(run, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "balanza.xlsx"
    result = run("balance", "colombia", "-y", "2022", "-p", "mexico", "-o", str(path),
                 "--lang", "es")
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Datos", "Acerca de"]
    sheet = book["Datos"]
    header = [cell.value for cell in sheet[1]]
    assert "socio" in header and "saldo_usd" in header
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["socio"] == "MEX" and row["nombre_socio"] == "México"
    assert row["resultado"] == "déficit" and row["saldo_usd"] == -2422000000
    about = [cell.value for cell in book["Acerca de"]["A"]]
    assert "Título" in about and "Fuentes" in about


@pytest.mark.parametrize("width", ["abc", "-1", "8.5"])
def test_a_width_that_is_no_number_of_columns_is_one_line(run, width):
    result = run("balance", "colombia", "--width", width)
    assert result.exit_code == 2
    assert "a whole number of columns" in result.stderr


def test_an_amount_is_never_wrapped_away_from_its_unit(run):
    for width in range(40, 100, 3):
        out = run("balance", "colombia", "--year", "2022", "--width", str(width)).stdout
        for line in out.splitlines():
            assert not line.lstrip().startswith("M "), (width, line)


def test_a_refusal_still_says_the_published_balance(run):
    """The data hold no Colombia–Peru flows, but DANE published their balance: said."""
    result = run("balance", "colombia", "-y", "2021,2022", "-p", "peru")
    assert result.exit_code == 1
    assert "no data for Colombia with Peru" in result.stderr
    assert "+688.9 M in 2021" in result.stderr and "+138.3 M in 2022" in result.stderr
