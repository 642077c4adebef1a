"""mirror: each flow as its exporter and as its importer reports it, the gap and the ratio."""

import csv
import io
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_trade import flows
from pa_trade.analysis.mirror import CIF_FOB_BAND, SAME_VALUATION_BAND, mirror
from tests.conftest import reference_file

IMF = "imf_dots_pa_2000_2020.csv"
HEADER = "reporter,partner,year,flow,value_usd,valuation,source"


def tidy_file(tmp_path, lines: list[str], name: str = "flows.csv", header: str = HEADER):
    """A tidy CSV written the way pa-trade's `flows` command writes it."""
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def rows(text: str, delimiter: str = ",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def line_with(text: str, *needles: str) -> str:
    return next(line for line in text.splitlines() if all(n in line for n in needles))


# --- the real IMF figures ------------------------------------------------------------------

def imf_reference() -> tuple[str, pd.DataFrame]:
    """(path, the file read with plain pandas) for direct computations; skips when absent."""
    path = reference_file(IMF)
    return str(path), pd.read_csv(path)


@pytest.fixture(scope="module")
def imf():
    return imf_reference()


def direct(raw: pd.DataFrame, reporter: str, partner: str, year: int, flow: str):
    """What the file says, summed with plain pandas; None when it has no such row."""
    found = raw[(raw["reporter"] == reporter) & (raw["partner"] == partner)
                & (raw["year"] == year) & (raw["flow"] == flow)]
    return float(found["value_usd"].sum()) if len(found) else None


def test_colombia_mexico_2019_shows_both_sides_as_published(run, imf):
    path, _ = imf
    result = run("mirror", "colombia", "mexico", "--year", "2019", "-d", path)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Mirror statistics: Colombia and Mexico, 2019" in out
    assert "millions of US dollars" in out
    mex_to_col = line_with(out, "Mexico → Colombia")
    assert "3,534.4" in mex_to_col and "3,879.6" in mex_to_col  # MEX exports, COL imports
    assert "345.3" in mex_to_col and "1.098" in mex_to_col and "FOB/CIF" in mex_to_col
    col_to_mex = line_with(out, "Colombia → Mexico")
    assert "1,409.0" in col_to_mex and "1,763.2" in col_to_mex
    # 1.251 is above the CIF/FOB band's 1.25: flagged, and the footer says why gaps happen
    assert "above" in col_to_mex and "above" not in mex_to_col
    assert "CIF" in out and "freight and insurance" in out and "0.90–1.25" in out
    assert "IMF Direction of Trade Statistics" in out


@pytest.mark.parametrize("pair", [("colombia", "mexico"), ("chile", "peru"), ("PER", "MEX")])
def test_every_number_matches_the_file(run, imf, pair):
    path, raw = imf
    result = run("mirror", *pair, "-d", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    table = rows(result.stdout)
    assert len(table) == 2 * 21  # both directions, 2000-2020
    for row in table:
        year, exporter, importer = int(row["year"]), row["exporter"], row["importer"]
        exports = direct(raw, exporter, importer, year, "export")
        imports = direct(raw, importer, exporter, year, "import")
        assert float(row["exports_reported_usd"]) == pytest.approx(exports, abs=0.005)
        assert float(row["imports_reported_usd"]) == pytest.approx(imports, abs=0.005)
        assert float(row["gap_usd"]) == pytest.approx(imports - exports, abs=0.01)
        assert float(row["ratio"]) == pytest.approx(imports / exports, abs=1e-6)
        assert (row["exports_valuation"], row["imports_valuation"]) == ("FOB", "CIF")
        low, high = CIF_FOB_BAND
        expected_flag = "low" if imports / exports < low else "high" if imports / exports > high \
            else ""
        assert row["flag"] == expected_flag


def test_json_is_numbers_and_units_rename_money_columns(run, imf):
    path, raw = imf
    result = run("mirror", "mexico", "colombia", "-y", "2019", "-d", path, "-f", "json",
                 "--units", "millions")
    records = json.loads(result.stdout)
    mex = next(r for r in records if r["exporter"] == "MEX")
    assert mex["exports_reported_usd_millions"] == pytest.approx(3534.362)
    assert mex["imports_reported_usd_millions"] == pytest.approx(
        direct(raw, "COL", "MEX", 2019, "import") / 1e6)
    assert isinstance(mex["ratio"], float)


# --- small files of our own ----------------------------------------------------------------

def test_a_side_nobody_reports_is_missing_not_zero(run, tmp_path):
    path = tidy_file(tmp_path, [
        "COL,PER,2021,export,1000000,FOB,DANE",
        "COL,PER,2021,import,2000000,CIF,DANE",
    ])
    result = run("mirror", "colombia", "peru", "-d", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    by_direction = {(r["exporter"], r["importer"]): r for r in rows(result.stdout)}
    col_per = by_direction["COL", "PER"]
    assert col_per["exports_reported_usd"] == "1000000"
    assert col_per["imports_reported_usd"] == "" and col_per["gap_usd"] == ""
    assert col_per["ratio"] == "" and col_per["flag"] == ""
    per_col = by_direction["PER", "COL"]
    assert per_col["exports_reported_usd"] == "" and per_col["imports_reported_usd"] == "2000000"
    assert "Peru reports no flows in the loaded data" in result.stderr
    table = run("mirror", "colombia", "peru", "-d", path).stdout
    assert "0.0" not in line_with(table, "Colombia → Peru")
    assert "–" in line_with(table, "Colombia → Peru")
    assert "Note: Peru reports no flows" in table


def test_flags_follow_the_band_of_the_valuations(run, tmp_path):
    path = tidy_file(tmp_path, [
        "CHL,PER,2020,export,100,FOB,BCCh", "PER,CHL,2020,import,80,CIF,BCRP",  # 0.80 low
        "PER,CHL,2020,export,100,FOB,BCRP", "CHL,PER,2020,import,120,FOB,BCCh",  # 1.20 FOB/FOB
        "CHL,PER,2021,export,100,FOB,BCCh", "PER,CHL,2021,import,120,CIF,BCRP",  # 1.20 in band
    ])
    table = {(r["year"], r["exporter"]): r
             for r in rows(run("mirror", "chile", "peru", "-d", path, "-f", "csv").stdout)}
    assert table["2020", "CHL"]["flag"] == "low"
    assert table["2020", "PER"]["flag"] == "high"  # same valuation: 1.20 > 1.15
    assert table["2020", "PER"]["imports_valuation"] == "FOB"
    assert table["2021", "CHL"]["flag"] == ""
    assert SAME_VALUATION_BAND[1] < 1.20 < CIF_FOB_BAND[1]


def test_valuation_option_picks_the_importers_valuation(run, tmp_path):
    path = tidy_file(tmp_path, [
        "MEX,COL,2022,export,1000,FOB,SE",
        "COL,MEX,2022,import,1100,CIF,DANE",
        "COL,MEX,2022,import,1040,FOB,DANE",
    ])
    cif = rows(run("mirror", "mexico", "colombia", "-d", path, "-f", "csv").stdout)[0]
    fob = rows(run("mirror", "mexico", "colombia", "-d", path, "-f", "csv", "--valuation",
                   "fob").stdout)[0]
    assert (cif["imports_reported_usd"], cif["imports_valuation"]) == ("1100", "CIF")
    assert (fob["imports_reported_usd"], fob["imports_valuation"]) == ("1040", "FOB")
    assert fob["ratio"] == "1.04"


def test_months_are_summed_and_sides_of_different_months_are_not_compared(run, tmp_path):
    header = "reporter,partner,year,month,flow,value_usd,valuation,source"
    path = tidy_file(tmp_path, [
        "COL,MEX,2022,1,export,10,FOB,DANE", "COL,MEX,2022,2,export,15,FOB,DANE",
        "MEX,COL,2022,1,import,30,CIF,SE",
    ], header=header)
    result = run("mirror", "colombia", "mexico", "-d", path, "-f", "tsv")
    row = next(r for r in rows(result.stdout, "\t") if r["exporter"] == "COL")
    assert row["exports_reported_usd"] == "25" and row["imports_reported_usd"] == "30"
    # January-February against January: no gap, no ratio (it was 1.2 and a note only)
    assert row["gap_usd"] == "" and row["ratio"] == "" and row["months"] == (
        "exports 1-2; imports 1")
    assert ("Colombia's exports to Mexico cover January–February 2022, Mexico's imports from "
            "Colombia January 2022: not compared") in result.stderr


# --- months: each side covers what its sources cover --------------------------------------

MONTHLY = "reporter,partner,year,month,flow,value_usd,valuation,source"
HALF, WHOLE = range(1, 7), range(1, 13)


def monthly(reporter: str, partner: str, year: int, flow: str, months, value: float,
            source: str | None = None) -> list[str]:
    """Tidy lines of one monthly figure per month; the source is named like a monthly file
    of its office ('DANE export microdata (2023-01.csv)'), so months of one source family
    come from different files, as in real microdata."""
    valuation = "FOB" if flow == "export" else "CIF"
    family = source or f"{reporter} {flow}s"
    return [f"{reporter},{partner},{year},{m},{flow},{value},{valuation},"
            f"{family} ({year}-{m:02d}.csv)" for m in months]


def monthly_file(tmp_path, lines: list[str], name: str = "monthly.csv") -> str:
    return tidy_file(tmp_path, lines, name=name, header=MONTHLY)


def joined(text: str) -> str:
    """Text with the footer's wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def half_against_whole(tmp_path):
    """Colombia's export files cover January-June 2023, everything else the whole year."""
    return monthly_file(tmp_path, [
        *monthly("COL", "MEX", 2023, "export", HALF, 100),  # 600 in six months
        *monthly("COL", "USA", 2023, "export", HALF, 7),
        *monthly("MEX", "COL", 2023, "import", WHOLE, 100),  # 1,200 in twelve
        *monthly("MEX", "COL", 2023, "export", WHOLE, 50),
        *monthly("COL", "MEX", 2023, "import", WHOLE, 55),
    ])


def test_six_months_against_a_whole_year_get_no_gap_ratio_or_flag(run, half_against_whole):
    result = run("mirror", "colombia", "mexico", "-d", half_against_whole, "--units", "usd")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("Mirror statistics: Colombia and Mexico, 2023\n")
    col_mex = line_with(out, "Colombia → Mexico").split()
    # exports, imports, then gap and ratio empty; 1,200 / 600 = 2.0 would be 'above'
    assert col_mex[4:8] == ["600", "1,200", "–", "–"] and "above" not in col_mex
    assert line_with(out, "Mexico → Colombia").split()[4:8] == ["600", "660", "60", "1.100"]
    assert ("Note: Colombia's exports to Mexico cover January–June 2023, Mexico's imports "
            "from Colombia the whole of 2023: not compared; load like periods or use --months"
            in joined(out))

    machine = run("mirror", "colombia", "mexico", "-d", half_against_whole, "-f", "csv")
    assert machine.stdout.splitlines()[0].startswith("year,months,exporter,")
    table = {r["exporter"]: r for r in rows(machine.stdout)}
    assert table["COL"]["months"] == "exports 1-6; imports 1-12"
    assert (table["COL"]["gap_usd"], table["COL"]["ratio"], table["COL"]["flag"]) == ("", "",
                                                                                      "")
    assert (table["MEX"]["months"], table["MEX"]["ratio"]) == ("1-12", "1.1")
    assert "not compared; load like periods or use --months" in machine.stderr

    records = json.loads(run("mirror", "colombia", "mexico", "-d", half_against_whole, "-f",
                             "json", "-q").stdout)
    col = next(r for r in records if r["exporter"] == "COL")
    assert col["months"] == "exports 1-6; imports 1-12"
    assert col["gap_usd"] is None and col["ratio"] is None
    assert col["exports_reported_usd"] == 600 and col["imports_reported_usd"] == 1200


def test_narrowed_to_like_months_the_two_sides_are_compared(run, half_against_whole):
    result = run("mirror", "colombia", "mexico", "-d", half_against_whole, "--months", "1-6",
                 "-f", "csv")
    assert result.exit_code == 0, result.stderr
    table = {r["exporter"]: r for r in rows(result.stdout)}
    assert table["COL"]["months"] == "1-6" and table["COL"]["ratio"] == "1"
    assert table["COL"]["imports_reported_usd"] == "600"
    assert "not compared" not in result.stderr
    title = run("mirror", "colombia", "mexico", "-d", half_against_whole, "--months", "1-6",
                "-q").stdout.splitlines()[0]
    assert title == "Mirror statistics: Colombia and Mexico, January–June 2023"


def test_the_same_part_year_on_both_sides_is_compared_and_said(run, tmp_path):
    lines = []
    for year in (2022, 2023):
        lines += monthly("COL", "MEX", year, "export", HALF, 100)
        lines += monthly("MEX", "COL", year, "import", HALF, 110)
        lines += monthly("MEX", "COL", year, "export", HALF, 200)
        lines += monthly("COL", "MEX", year, "import", HALF, 190)
    path = monthly_file(tmp_path, lines)
    out = run("mirror", "colombia", "mexico", "-d", path, "--units", "usd").stdout
    assert out.splitlines()[0] == ("Mirror statistics: Colombia and Mexico, 2022–2023, "
                                   "January–June of each year")
    assert "not compared" not in out and "covers" not in out
    table = rows(run("mirror", "colombia", "mexico", "-d", path, "-f", "csv").stdout)
    assert {r["months"] for r in table} == {"1-6"}
    assert {(r["year"], r["exporter"]): r["ratio"] for r in table} == {
        ("2022", "COL"): "1.1", ("2022", "MEX"): "0.95", ("2023", "COL"): "1.1",
        ("2023", "MEX"): "0.95"}
    records = json.loads(run("mirror", "colombia", "mexico", "-d", path, "-f", "json").stdout)
    assert {r["months"] for r in records} == {"1-6"}


def test_a_partner_trading_only_in_march_covers_what_its_sources_cover(run, tmp_path):
    path = monthly_file(tmp_path, [
        *monthly("COL", "USA", 2023, "export", HALF, 10),
        *monthly("COL", "MEX", 2023, "export", [3], 100),  # Colombia sold to Mexico in March
        *monthly("MEX", "USA", 2023, "import", HALF, 10),
        *monthly("MEX", "COL", 2023, "import", [3], 105),
    ])
    out = run("mirror", "colombia", "mexico", "-d", path, "--units", "usd").stdout
    assert out.splitlines()[0] == "Mirror statistics: Colombia and Mexico, January–June 2023"
    assert "March" not in out
    assert line_with(out, "Colombia → Mexico").split()[4:8] == ["100", "105", "5", "1.050"]
    (row, _) = rows(run("mirror", "colombia", "mexico", "-d", path, "-f", "csv").stdout)
    assert row["exporter"] == "COL" and row["months"] == "1-6" and row["ratio"] == "1.05"


def test_a_part_year_after_whole_years_is_noted_and_still_compared(run, tmp_path):
    lines = []
    for year, months in ((2022, WHOLE), (2023, HALF)):
        lines += monthly("COL", "MEX", year, "export", months, 100)
        lines += monthly("MEX", "COL", year, "import", months, 110)
    path = monthly_file(tmp_path, lines)
    result = run("mirror", "colombia", "mexico", "-d", path)
    out = joined(result.stdout)
    assert result.stdout.startswith("Mirror statistics: Colombia and Mexico, 2022–2023\n")
    assert "Note: 2023 covers January–June only (6 of 12 months), not the whole year" in out
    assert "2022 covers" not in out
    table = {r["year"]: r for r in rows(run("mirror", "colombia", "mexico", "-d", path,
                                            "-f", "csv").stdout) if r["exporter"] == "COL"}
    assert (table["2022"]["months"], table["2022"]["ratio"]) == ("1-12", "1.1")
    assert (table["2023"]["months"], table["2023"]["ratio"]) == ("1-6", "1.1")


def test_markdown_has_a_table_and_the_footer_as_a_list(run, tmp_path):
    path = tidy_file(tmp_path, ["COL,MEX,2021,export,5,FOB,DANE",
                                "MEX,COL,2021,import,6,CIF,SE"])
    out = run("mirror", "colombia", "mexico", "-d", path, "-f", "markdown").stdout
    assert out.startswith("**Mirror statistics: Colombia and Mexico, 2021**")
    assert "| Colombia → Mexico" in out and "- Why the sides differ" in out


def markdown_alignments(text: str) -> list[list[str]]:
    """Each markdown table's columns as 'left', 'right' or '' (no alignment said)."""
    tables = []
    for line in text.splitlines():
        cells = line.strip().strip("|").split("|")
        if line.startswith("|") and all(set(c.strip()) <= set(":-") and "-" in c for c in cells):
            tables.append(["right" if c.strip().endswith(":") and not c.strip().startswith(":")
                           else "left" if c.strip().startswith(":") else "" for c in cells])
    return tables


def assert_markdown_footer_is_a_list(text: str, source: str) -> None:
    """Like balance's markdown: every footer line an item, each source a nested item."""
    footer = text.split("\n\n")[-1].splitlines()
    assert all(line.startswith(("- ", "  - ")) for line in footer), footer
    assert not any(line.startswith("-  ") for line in footer), footer
    # 'Sources:', or (mirror, when the sides differ) 'Sources of X ...' and 'Sources of M ...'
    sources = next(i for i, line in enumerate(footer) if line.startswith("- Sources"))
    assert f"  - {source}" in footer[sources + 1:]


def test_markdown_footer_and_alignment_follow_balance(run, tmp_path):
    path = tidy_file(tmp_path, ["COL,MEX,2021,export,5,FOB,DANE",
                                "MEX,COL,2021,import,6,CIF,SE"])
    out = run("mirror", "colombia", "mexico", "-d", path, "-f", "markdown").stdout
    assert_markdown_footer_is_a_list(out, "DANE")
    # Year, Exporter → importer, Exports, Imports, Gap, M/X, Band, Val. X/M
    assert markdown_alignments(out) == [["right", "left", "right", "right", "right", "right",
                                         "left", "left"]]


@pytest.mark.parametrize("args, code, message", [
    (["mirror", "colombia", "mexcio"], 2, "unknown country or area 'mexcio'; did you mean"),
    (["mirror", "colombia", "colombia"], 2, "two different countries"),
    (["mirror", "pa", "korea"], 2, "is a bloc"),
    (["mirror", "world", "korea"], 2, "is not a country"),
    (["mirror", "colombia", "korea"], 1, "no flows between Colombia and South Korea"),
    (["mirror", "colombia", "mexico", "-y", "1990"], 1, "the loaded data cover"),
])
def test_errors_are_one_line_with_their_exit_code(run, tmp_path, args, code, message):
    path = tidy_file(tmp_path, ["COL,MEX,2021,export,5,FOB,DANE"])
    result = run(*args, "-d", path)
    assert result.exit_code == code
    assert result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


# --- arithmetic ----------------------------------------------------------------------------

cents = st.one_of(st.none(), st.integers(1, 10**12).map(lambda c: c / 100))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(2018, 2021), cents, cents, cents, cents), min_size=1,
                max_size=6))
def test_gap_is_imports_minus_exports_and_ratio_their_quotient(years):
    records = []
    for year, a_exports, b_imports, b_exports, a_imports in years:
        for reporter, partner, flow, value, valuation in (
            ("COL", "MEX", "export", a_exports, "FOB"), ("MEX", "COL", "import", b_imports, "CIF"),
            ("MEX", "COL", "export", b_exports, "FOB"), ("COL", "MEX", "import", a_imports, "CIF"),
        ):
            if value is not None:
                records.append({"reporter": reporter, "partner": partner, "year": year,
                                "flow": flow, "value_usd": value, "valuation": valuation,
                                "source": "test"})
    if not records:
        return
    table = mirror(flows.aggregate(pd.DataFrame(records)), "COL", "MEX").table
    assert len(table) == 2 * len({r["year"] for r in records})
    for row in table.itertuples():
        x, m = row.exports_reported_usd, row.imports_reported_usd
        if pd.isna(x) or pd.isna(m):
            assert pd.isna(row.gap_usd) and pd.isna(row.ratio) and row.flag == ""
            continue
        assert round(row.gap_usd, 2) == round(m - x, 2)
        assert row.ratio == pytest.approx(m / x)
        assert (row.flag == "") == (CIF_FOB_BAND[0] <= row.ratio <= CIF_FOB_BAND[1])


def test_a_flow_of_no_valuation_is_the_last_choice_in_a_canonical_table():
    # valuation is a categorical: ranking it must not add a category to it
    table = flows.normalise_frame(pd.DataFrame({
        "reporter": ["COL", "COL", "MEX", "MEX"], "partner": ["MEX", "MEX", "COL", "COL"],
        "year": [2020] * 4, "flow": ["export", "import", "export", "import"],
        "value_usd": [1.0, 2.0, 3.0, 4.0], "valuation": [None, "CIF", "FOB", "CIF"],
        "source": ["a", "x", "y", "z"]}))
    assert str(table["valuation"].dtype) == "category"
    result = mirror(table, "COL", "MEX").table
    assert set(result["imports_valuation"]) == {"CIF"}
    assert set(result["exports_valuation"]) <= {"", "FOB"}
