"""SUNAT's cuadros by country (layout sunat-cuadro): the real cdro_G6.xlsx as published,
read to the dollar against its own totals, and workbooks in the same layout made by
tests/fixtures/make_sunat_fixtures.py."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

HUNT = ROOT.parent / "shared" / "realdata" / "hunt2" / "peru"
WORKBOOK = "sunat_cdro_G6_export_definitiva_por_pais_2005_2025.xlsx"
OURS = FIXTURES / "sunat"
EXPECTED = json.loads((OURS / "expected.json").read_text(encoding="utf-8"))


def real(name: str) -> Path:
    path = HUNT / name
    if not path.exists():
        pytest.skip("SUNAT's real cuadro (../shared/realdata/hunt2/peru) is absent")
    return path


def figures(result) -> dict[str, str]:
    """{'PER,MEX,2022,3,export': '123.45'} from `flows -f csv` output."""
    return {f"{r['reporter']},{r['partner']},{r['year']},{r['month']},{r['flow']}":
            f"{Decimal(r['value_usd']):.2f}" for r in csv.DictReader(io.StringIO(result.stdout))}


def yearly(result) -> dict[tuple[str, int], Decimal]:
    out: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for r in csv.DictReader(io.StringIO(result.stdout)):
        out[(r["partner"], int(r["year"]))] += Decimal(r["value_usd"])
    return out


@pytest.mark.parametrize("name", ["cdro_G6_example.xlsx", "cdro_F8_example.xlsx",
                                  "cdro_G6_2022_displayed.csv"])
def test_the_fixtures_read_every_figure_to_the_cent(run, name):
    result = run("flows", "-d", str(OURS / name), "--no-cache", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    expected = {k: f"{Decimal(v):.2f}" for k, v in EXPECTED[name].items()}
    assert figures(result) == expected


def test_stored_dollars_are_read_not_the_thousands_shown(run):
    result = run("flows", "-d", str(OURS / "cdro_G6_example.xlsx"), "--no-cache", "-f", "csv")
    assert "the cells store dollars: their number format shows them divided by 1,000" \
        in result.stderr
    stored = figures(result)
    shown = figures(run("flows", "-d", str(OURS / "cdro_G6_2022_displayed.csv"), "--no-cache",
                        "-f", "csv"))
    # the copy saved as displayed is read x 1,000 with its unit line: within 50 dollars
    for key, value in shown.items():
        assert abs(Decimal(value) - Decimal(stored[key])) <= 50, key


def test_the_fixture_accounts_for_every_row(run):
    result = run("flows", "-d", str(OURS / "cdro_G6_example.xlsx"), "--no-cache")
    err = result.stderr
    for sheet in ("2021", "2022", "2023"):
        assert (f"cdro_G6_example.xlsx › {sheet}: set aside 1 row [unknown-country] a country "
                f"or area that is not recognised: row 18 ('SAN MARTIN')") in err
    assert "the sheet gives January–April 2023 only" in err
    strict = run("flows", "-d", str(OURS / "cdro_G6_example.xlsx"), "--no-cache", "--strict")
    assert strict.exit_code == 1


def test_a_partial_year_covers_only_its_months(run):
    result = run("flows", "-d", str(OURS / "cdro_G6_example.xlsx"), "--no-cache", "-f", "csv")
    months = {int(r["month"]) for r in csv.DictReader(io.StringIO(result.stdout))
              if r["year"] == "2023"}
    assert months == {1, 2, 3, 4}


def test_balance_peru_reads_the_cuadro_as_perus(run):
    table = run("balance", "peru", "-y", "2022", "-d", str(OURS / "cdro_G6_example.xlsx"),
                "--no-cache", "-q", "-f", "csv", "--totals")
    assert table.exit_code == 0, table.stderr
    rows = {r["partner"]: r for r in csv.DictReader(io.StringIO(table.stdout))}
    assert {"MEX", "CHL", "COL", "ESP", "CYM", "VIR"} <= set(rows)
    assert {r["reporter"] for r in rows.values()} == {"PER"}
    mexico = sum(Decimal(v) for k, v in EXPECTED["cdro_G6_example.xlsx"].items()
                 if k.startswith("PER,MEX,2022,"))
    assert Decimal(rows["MEX"]["exports_usd"]) == mexico.quantize(Decimal("0.01"))


def test_mirror_pairs_sunat_with_mexicos_figures(run):
    result = run("mirror", "peru", "mexico", "-y", "2021-2022", "-q", "-f", "csv",
                 "-d", str(OURS / "cdro_G6_example.xlsx"),
                 "-d", str(FIXTURES / "mexico_se_balanza_miles_utf8bom_comma.csv"))
    assert result.exit_code == 0, result.stderr
    rows = [r for r in csv.DictReader(io.StringIO(result.stdout)) if r["exporter"] == "PER"]
    assert [r["year"] for r in rows] == ["2021", "2022"]
    assert all(r["exports_reported_usd"] and r["imports_reported_usd"] for r in rows)
    assert "SUNAT, Cuadro G 6" in rows[0]["exports_sources"]
    assert "Secretaría de Economía" in rows[0]["imports_sources"]


def test_forced_layout_reads_the_same(run):
    path = str(OURS / "cdro_G6_2022_displayed.csv")
    detected = run("flows", "-d", path, "--no-cache", "-f", "csv", "-q")
    forced = run("flows", "-d", path, "--no-cache", "-f", "csv", "-q", "--layout",
                 "sunat-cuadro")
    assert forced.exit_code == 0 and forced.stdout == detected.stdout


def test_a_cuadro_that_does_not_name_sunat_needs_a_reporter(run, tmp_path):
    text = (OURS / "cdro_G6_2022_displayed.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "SUNAT" not in line]
    copy = tmp_path / "cuadro.csv"
    copy.write_text("\n".join(lines).replace("Cuadro G 6", "Cuadro 6") + "\n",
                    encoding="utf-8")
    result = run("flows", "-d", str(copy), "--no-cache", "--layout", "sunat-cuadro")
    assert result.exit_code == 1
    assert "do not name SUNAT" in result.stderr


# -- the real workbook --------------------------------------------------------------------

def sheet_totals(path: Path) -> dict[tuple[str, int], Decimal]:
    """Each row's own Total column, per partner code and year, read with calamine alone."""
    from python_calamine import CalamineWorkbook

    from pa_trade.reference import countries

    book = CalamineWorkbook.from_path(str(path))
    out = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        total_at = max(i for i, v in enumerate(rows[5]) if v == "Total")
        for row in rows[8:]:
            label = row[3] if isinstance(row[3], str) and row[3].strip() else row[2]
            code = countries.sunat_lookup(label) if isinstance(label, str) else None
            if code is not None and isinstance(row[total_at], float):
                out[(code, int(name))] = Decimal(repr(row[total_at]))
    return out


def test_the_real_workbook_reads_to_the_sheets_own_totals(run):
    path = real(WORKBOOK)
    result = run("flows", "-d", str(path), "--no-cache", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    ours = yearly(result)
    totals = sheet_totals(path)
    assert len(totals) > 3_700
    wrong = {k: (ours.get(k), v) for k, v in totals.items()
             if k[0] != "FRA" and abs(ours.get(k, Decimal(0)) - v) > Decimal("0.05")}
    assert not wrong, list(wrong.items())[:5]
    assert round(ours[("MEX", 2023)]) == 846_374_726
    assert round(ours[("MEX", 2024)]) == 864_744_232
    assert round(ours[("CHL", 2023)]) == 1_896_012_950
    assert round(ours[("COL", 2023)]) == 821_220_822
    assert round(ours[("WLD", 2023)]) == 64_288_654_932
    assert {r["reporter"] for r in csv.DictReader(io.StringIO(result.stdout))} == {"PER"}


def test_every_real_name_resolves_or_is_reported_by_sheet_and_row(run):
    result = run("flows", "-d", str(real(WORKBOOK)), "--no-cache")
    unknown = [line for line in result.stderr.splitlines() if "[unknown-country]" in line]
    assert len(unknown) == 13  # one line per sheet with any
    said = "\n".join(unknown)
    assert f"{WORKBOOK} › 2007: set aside 1 row" in said and "row 179 ('ZONA NEUTRAL" in said
    assert f"{WORKBOOK} › 2013" in said and "row 129 ('SAN MARTÍN')" in said
    assert f"{WORKBOOK} › 2014" in said and "('FRANCE, METROPOLITAN')" in said
    assert said.count("'SAN MARTIN'") == 11
    assert "ESPA" not in said and "CAIMAN" not in said and "AGUAS" not in said
    assert "January–April 2025 only" in result.stderr


def test_the_real_2023_sheet_saved_as_displayed_or_as_stored(run):
    derived = HUNT / "derived"
    shown = derived / "sunat_cdro_G6_2023_displayed_values.csv"
    stored = derived / "sunat_cdro_G6_2023_stored_values.csv"
    if not shown.exists() or not stored.exists():
        pytest.skip("the derived copies of SUNAT's 2023 sheet are absent")
    from_shown = run("flows", "-d", str(shown), "--no-cache", "-f", "csv")
    from_stored = run("flows", "-d", str(stored), "--no-cache", "-f", "csv")
    assert from_shown.exit_code == 0 and from_stored.exit_code == 0
    assert "the figures are dollars (the workbook's stored values)" in from_stored.stderr
    a, b = yearly(from_shown), yearly(from_stored)
    assert round(b[("MEX", 2023)]) == 846_374_726
    assert abs(a[("MEX", 2023)] - b[("MEX", 2023)]) <= 12 * 50  # thousands with one decimal
    assert abs(a[("WLD", 2023)] - b[("WLD", 2023)]) <= 12 * 50


def test_balance_and_mirror_on_the_real_workbook(run):
    path = str(real(WORKBOOK))
    table = run("balance", "peru", "-y", "2023", "-d", path, "--no-cache", "-q", "-f", "csv")
    assert table.exit_code == 0, table.stderr
    rows = {r["partner"]: r for r in csv.DictReader(io.StringIO(table.stdout))}
    assert round(Decimal(rows["MEX"]["exports_usd"])) == 846_374_726
    dots = ROOT.parent / "shared" / "reference" / "datasets-found" / \
        "imf-dots-2022-vintage" / "raw" / "DOTS_127.xlsx"
    if not dots.exists():
        pytest.skip("the IMF's DOTS workbook of Mexico is absent")
    mirror = run("mirror", "peru", "mexico", "-y", "2019", "-d", path, "-d", str(dots),
                 "--no-cache", "-q", "-f", "csv")
    assert mirror.exit_code == 0, mirror.stderr
    pairs = [r for r in csv.DictReader(io.StringIO(mirror.stdout)) if r["exporter"] == "PER"]
    assert round(Decimal(pairs[0]["exports_reported_usd"])) == 477_376_525
    assert pairs[0]["imports_reported_usd"]


def test_the_generator_writes_the_same_bytes(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_sunat_fixtures", FIXTURES / "make_sunat_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    module.main()
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in OURS.iterdir())
    for name in made:
        assert (tmp_path / name).read_bytes() == (OURS / name).read_bytes(), name
