"""trend: yearly trade of a reporter with a partner or bloc, growth, and growth around an FTA."""

import datetime
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_trade import flows
from pa_trade.analysis.trend import cagr, trend
from pa_trade.reference import countries
from pa_trade.reference.agreements import Agreement, read_ftas
from tests.test_mirror import (
    HALF,
    WHOLE,
    assert_markdown_footer_is_a_list,
    direct,
    imf_reference,
    joined,
    line_with,
    markdown_alignments,
    monthly,
    monthly_file,
    rows,
    tidy_file,
)

KOREA_FTAS = {("CHL", "KOR"): "2004-04-01", ("PER", "KOR"): "2011-08-01",
              ("COL", "KOR"): "2016-07-15"}


def cagr_pct(first: float, last: float, years: int) -> float:
    return ((last / first) ** (1 / years) - 1) * 100


@pytest.fixture(scope="module")
def imf():
    return imf_reference()


# --- the built-in agreements ---------------------------------------------------------------

def test_the_korea_agreements_are_in_the_table_with_a_source_each():
    agreements = read_ftas()
    found = {a.parties: a.entry_into_force.isoformat() for a in agreements if len(a.parties) == 2}
    for parties, date in KOREA_FTAS.items():
        assert found[parties] == date
    assert not any("MEX" in a.parties and "KOR" in a.parties for a in agreements)
    assert all(len(a.source) > 30 for a in agreements)  # a publisher and title at least
    assert len({a.name for a in agreements}) == len(agreements)


# --- the real IMF figures ------------------------------------------------------------------

def test_chile_korea_marks_the_2004_fta_and_gives_growth_before_and_after(run, imf):
    path, raw = imf
    result = run("trend", "chile", "--partner", "korea", "--years", "2000-2020", "-d", path)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Chile: trade with South Korea, 2000–2020" in out
    assert "exports FOB, imports CIF" in out and "millions of US dollars" in out
    assert "◆ Chile–Korea FTA" in line_with(out, "  2004  ")
    assert "◆" not in line_with(out, "  2003  ") and "◆" not in line_with(out, "  2005  ")
    x = {y: direct(raw, "CHL", "KOR", y, "export") for y in (2000, 2003, 2020)}
    m = {y: direct(raw, "CHL", "KOR", y, "import") for y in (2000, 2003, 2020)}
    before = line_with(out, "before Chile–Korea FTA, 2000–2003")
    after = line_with(out, "after Chile–Korea FTA, 2003–2020")
    assert f"{cagr_pct(x[2000], x[2003], 3):+.1f}%" in before  # +10.7%
    assert f"{cagr_pct(m[2000], m[2003], 3):+.1f}%" in before
    assert f"{cagr_pct(x[2003], x[2020], 17):+.1f}%" in after  # +8.2%
    assert f"{cagr_pct(x[2000], x[2020], 20):+.1f}%" in line_with(out, "CAGR 2000–2020")
    assert f"×{x[2020] / x[2000]:.2f}" in line_with(out, "Multiple (2020 / 2000)")
    assert "in force 2004-04-01, base year 2003" in out


def test_every_yearly_number_matches_the_file(run, imf):
    path, raw = imf
    result = run("trend", "peru", "-p", "KOR", "-d", path, "-f", "csv")
    table = rows(result.stdout)
    assert [int(r["year"]) for r in table] == list(range(2000, 2021))
    previous = None
    for row in table:
        year = int(row["year"])
        x = direct(raw, "PER", "KOR", year, "export")
        m = direct(raw, "PER", "KOR", year, "import")
        assert float(row["exports_usd"]) == pytest.approx(x, abs=0.005)
        assert float(row["imports_usd"]) == pytest.approx(m, abs=0.005)
        assert float(row["balance_usd"]) == pytest.approx(x - m, abs=0.01)
        assert float(row["trade_usd"]) == pytest.approx(x + m, abs=0.01)
        if previous:
            assert float(row["exports_change_pct"]) == pytest.approx(
                (x / previous[0] - 1) * 100, abs=1e-4)
            assert float(row["imports_change_pct"]) == pytest.approx(
                (m / previous[1] - 1) * 100, abs=1e-4)
            assert float(row["balance_change_usd"]) == pytest.approx(
                (x - m) - (previous[0] - previous[1]), abs=0.01)
        else:
            assert row["exports_change_pct"] == ""
        assert row["agreement"] == ("Peru–Korea FTA" if year == 2011 else "")
        previous = (x, m)


def test_summary_matches_cagr_computed_from_the_file(run, imf):
    path, raw = imf
    result = run("trend", "colombia", "-p", "korea", "-y", "2005-2020", "-d", path, "-f", "json",
                 "--summary")
    records = json.loads(result.stdout)
    by_key = {(r["measure"], r["period"]): r for r in records}
    assert set(by_key) == {(m, p) for m in ("exports", "imports", "trade")
                           for p in ("window", "before", "after")}
    for measure, flows_ in (("exports", ["export"]), ("imports", ["import"]),
                            ("trade", ["export", "import"])):
        value = {y: sum(direct(raw, "COL", "KOR", y, f) for f in flows_)
                 for y in (2005, 2015, 2020)}
        window, before, after = (by_key[measure, p] for p in ("window", "before", "after"))
        assert window["cagr_pct"] == pytest.approx(cagr_pct(value[2005], value[2020], 15),
                                                   abs=1e-5)
        assert window["multiple"] == pytest.approx(value[2020] / value[2005], abs=1e-5)
        assert (before["first_year"], before["last_year"]) == (2005, 2015)
        assert (after["first_year"], after["last_year"]) == (2015, 2020)
        assert before["cagr_pct"] == pytest.approx(cagr_pct(value[2005], value[2015], 10),
                                                   abs=1e-5)
        assert after["cagr_pct"] == pytest.approx(cagr_pct(value[2015], value[2020], 5),
                                                  abs=1e-5)
        assert after["agreement"] == "Colombia–Korea FTA"
        assert after["entry_into_force"] == "2016-07-15"


def test_a_bloc_partner_is_the_sum_of_the_members_but_the_reporter(run, imf):
    path, raw = imf
    table = rows(run("trend", "colombia", "--partner", "pa", "-d", path, "-f", "csv").stdout)
    for row in table:
        year = int(row["year"])
        assert row["partner"] == "XPA"
        for side, flow in (("exports_usd", "export"), ("imports_usd", "import")):
            expected = sum(direct(raw, "COL", member, year, flow) for member in
                           ("CHL", "MEX", "PER"))
            assert float(row[side]) == pytest.approx(expected, abs=0.01)
        # the Additional Protocol binds all four members
        assert row["agreement"] == ("Pacific Alliance Additional Protocol" if year == 2016
                                    else "")


# --- small files of our own ----------------------------------------------------------------

def series(reporter, partner, values: dict[int, tuple[float, float]]) -> list[str]:
    lines = []
    for year, (exports, imports) in values.items():
        lines.append(f"{reporter},{partner},{year},export,{exports},FOB,test")
        lines.append(f"{reporter},{partner},{year},import,{imports},CIF,test")
    return lines


def test_an_agreement_from_a_file_of_ones_own(run, tmp_path):
    data = tidy_file(tmp_path, series("MEX", "KOR", {2010: (100, 50), 2011: (110, 60),
                                                     2012: (121, 70), 2013: (242, 80)}))
    ftas = tmp_path / "ftas.csv"
    ftas.write_text("agreement,parties,entry_into_force,source\n"
                    "Imaginary Mexico–Korea FTA,MEX KOR,2012-06-30,test\n", encoding="utf-8")
    result = run("trend", "mexico", "-p", "korea", "-d", data, "--ftas", str(ftas), "-f",
                 "csv", "--summary")
    summary = {(r["measure"], r["period"]): r for r in rows(result.stdout)}
    before, after = summary["exports", "before"], summary["exports", "after"]
    assert (before["first_year"], before["last_year"], after["last_year"]) == ("2010", "2011",
                                                                               "2013")
    assert float(before["cagr_pct"]) == pytest.approx(10.0)
    assert float(after["cagr_pct"]) == pytest.approx(((242 / 110) ** 0.5 - 1) * 100)
    # without the file: Mexico has no agreement with Korea
    plain = rows(run("trend", "mexico", "-p", "korea", "-d", data, "-f", "csv",
                     "--summary").stdout)
    assert {r["period"] for r in plain} == {"window"}


def test_an_agreement_before_the_window_is_noted_not_split(run, tmp_path):
    data = tidy_file(tmp_path, series("CHL", "KOR", {2005: (1, 1), 2006: (2, 2)}))
    result = run("trend", "chile", "-p", "korea", "-d", data)
    assert "◆" not in result.stdout.split("Growth")[0]
    assert "Chile–Korea FTA in force since 2004-04-01, before the window" in result.stdout


def test_a_missing_year_breaks_the_change_and_a_missing_side_stays_empty(run, tmp_path):
    lines = series("PER", "CHN", {2018: (10, 5), 2020: (20, 10)})
    lines.append("PER,CHN,2021,export,30,FOB,test")
    result = run("trend", "peru", "-p", "china", "-d", tidy_file(tmp_path, lines), "-f", "csv")
    table = {r["year"]: r for r in rows(result.stdout)}
    assert list(table) == ["2018", "2020", "2021"]
    assert table["2020"]["exports_change_pct"] == ""  # 2019 is not there
    assert table["2021"]["exports_change_pct"] == "50"
    assert table["2021"]["imports_usd"] == "" and table["2021"]["balance_usd"] == ""
    assert table["2021"]["trade_usd"] == "" and table["2021"]["trade_change_pct"] == ""


def test_a_year_missing_inside_the_window_is_said_and_breaks_the_change(run, tmp_path):
    data = tidy_file(tmp_path, series("PER", "CHL", {2019: (8, 4), 2020: (10, 5),
                                                     2022: (20, 8), 2023: (19, 6)}))
    note = ("no data for Peru with Chile in 2021: the change in 2022 is left empty, as it "
            "would span 2 years")
    people = run("trend", "peru", "-p", "chile", "-y", "2020-2023", "-d", data)
    assert people.exit_code == 0, people.stderr
    assert f"Note: {note}" in " ".join(people.stdout.split())  # wrapped at 88 columns
    assert line_with(people.stdout, "  2022  ").split()[2] == "–"  # exports y/y
    machine = run("trend", "peru", "-p", "chile", "-y", "2020-2023", "-d", data, "-f", "csv")
    assert f"pa-trade: note: {note}\n" in machine.stderr
    table = {r["year"]: r for r in rows(machine.stdout)}
    assert list(table) == ["2020", "2022", "2023"]
    assert table["2020"]["exports_change_pct"] == "25"  # 2019 is loaded: no gap before
    assert all(table["2022"][c] == "" for c in ("exports_change_pct", "imports_change_pct",
                                                "trade_change_pct", "balance_change_usd"))
    assert table["2023"]["exports_change_pct"] == "-5"
    assert "no data" not in run("trend", "peru", "-p", "chile", "-y", "2022-2023", "-d", data,
                                "-f", "csv").stderr
    markdown = run("trend", "peru", "-p", "chile", "-d", data, "-f", "markdown").stdout
    assert f"- Note: {note}" in markdown


def test_years_not_asked_are_no_gap_but_still_give_the_change(run, tmp_path):
    data = tidy_file(tmp_path, series("PER", "CHL", {2018: (8, 4), 2019: (10, 5),
                                                     2020: (12, 6)}))
    result = run("trend", "peru", "-p", "chile", "-y", "2018", "-y", "2020", "-d", data,
                 "-f", "csv")
    table = {r["year"]: r for r in rows(result.stdout)}
    assert list(table) == ["2018", "2020"]
    assert table["2020"]["exports_change_pct"] == "20"  # on 2019, loaded though not shown
    assert "no data" not in result.stderr


def test_the_built_in_peru_chile_series_says_2021_is_missing(run):
    result = run("trend", "peru", "-p", "chile")
    assert result.exit_code == 0, result.stderr
    assert ("Note: no data for Peru with Chile in 2021: the change in 2022 is left empty"
            in " ".join(result.stdout.split()))


def test_markdown_footer_and_alignment_follow_balance(run, tmp_path):
    data = tidy_file(tmp_path, series("CHL", "KOR", {2005: (1, 1), 2006: (2, 2)}))
    out = run("trend", "chile", "-p", "korea", "-d", data, "-f", "markdown").stdout
    assert_markdown_footer_is_a_list(out, "test")
    yearly, growth = markdown_alignments(out)
    assert yearly == ["right"] * 8 + ["left"]
    assert growth == ["left", "right", "right", "right"]


def test_the_year_before_the_window_gives_the_first_change(run, tmp_path):
    data = tidy_file(tmp_path, series("COL", "USA", {2019: (100, 100), 2020: (80, 125)}))
    (row,) = rows(run("trend", "colombia", "-p", "usa", "-y", "2020", "-d", data,
                      "-f", "csv").stdout)
    assert row["exports_change_pct"] == "-20" and row["imports_change_pct"] == "25"


def test_missing_bloc_members_are_noted(run, tmp_path):
    data = tidy_file(tmp_path, series("PER", "CHL", {2020: (1, 2)}) + series("PER", "MEX",
                                                                            {2020: (3, 4)}))
    result = run("trend", "peru", "-p", "alianza del pacifico", "-d", data)
    assert "sum of CHL, COL, MEX" in result.stdout
    assert "cover CHL, MEX only (no data for COL)" in result.stdout


@pytest.mark.parametrize("args, code, message", [
    (["trend", "chile", "-p", "koreaa"], 2, "unknown country or area 'koreaa'"),
    (["trend", "chle", "-p", "korea"], 2, "unknown country or area 'chle'"),
    (["trend", "pa", "-p", "colombia"], 2, "member of the Pacific Alliance"),
    (["trend", "chile", "-p", "chile"], 2, "cannot be its own partner"),
    (["trend", "chile", "-p", "korea", "-f", "csv", "--chart"], 2, "--chart draws for people"),
    (["trend", "chile", "-p", "korea", "--plot", "chart.pdf"], 2, "must end in .png or .svg"),
    (["trend", "chile", "-p", "japan"], 1, "no data for Chile with Japan; the loaded data cover"),
    (["trend", "peru", "-p", "korea"], 1, "no data for Peru as reporter"),
    (["trend", "chile", "-p", "korea", "-y", "1990"], 1, "the loaded data cover Chile in 2005"),
])
def test_errors_are_one_line_with_their_exit_code(run, tmp_path, args, code, message):
    data = tidy_file(tmp_path, series("CHL", "KOR", {2005: (1, 1)}))
    result = run(*args, "-d", data)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""


# --- months: a change compares like months only ------------------------------------------

def yearly(out: str, year: int) -> list[str]:
    """The cells of a year's line in the yearly table for people."""
    return line_with(out, f"  {year}  ").split()


def test_january_june_against_january_june_is_a_change(run, tmp_path):
    lines = []
    for year, exports, imports in ((2022, 100, 50), (2023, 110, 40)):
        lines += monthly("COL", "MEX", year, "export", HALF, exports)
        lines += monthly("COL", "MEX", year, "import", HALF, imports)
    path = monthly_file(tmp_path, lines)
    out = run("trend", "colombia", "-p", "mexico", "-d", path, "--units", "usd").stdout
    assert out.splitlines()[0] == ("Colombia: trade with Mexico, 2022–2023, January–June of "
                                   "each year")
    # 660 on 600 and 240 on 300; trade 900 on 900
    assert yearly(out, 2023) == ["2023", "660", "+10.0%", "240", "-20.0%", "420", "900",
                                 "0.0%"]
    assert "covers" not in out and "left empty" not in out and "no growth" not in out
    assert "CAGR 2022–2023" in out and "+10.0%" in line_with(out, "CAGR 2022–2023")

    table = {r["year"]: r for r in rows(run("trend", "colombia", "-p", "mexico", "-d", path,
                                            "-f", "csv").stdout)}
    assert list(table["2023"])[:4] == ["reporter", "partner", "year", "months"]
    assert table["2023"]["months"] == "1-6" and table["2023"]["exports_change_pct"] == "10"
    summary = rows(run("trend", "colombia", "-p", "mexico", "-d", path, "-f", "csv",
                       "--summary").stdout)
    assert list(summary[0])[6:9] == ["first_year", "last_year", "months"]
    assert {(r["measure"], r["months"], r["cagr_pct"]) for r in summary} == {
        ("exports", "1-6", "10"), ("imports", "1-6", "-20"), ("trade", "1-6", "0")}
    records = json.loads(run("trend", "colombia", "-p", "mexico", "-d", path, "-f",
                             "json").stdout)
    assert [r["months"] for r in records] == ["1-6", "1-6"]


def test_january_june_against_a_whole_year_is_no_change_and_no_growth(run, tmp_path):
    lines = []
    for year in (2021, 2022):
        lines += monthly("COL", "MEX", year, "export", WHOLE, 100)
        lines += monthly("COL", "MEX", year, "import", WHOLE, 50)
    lines += monthly("COL", "MEX", 2023, "export", HALF, 100)
    lines += monthly("COL", "MEX", 2023, "import", HALF, 50)
    path = monthly_file(tmp_path, lines)
    result = run("trend", "colombia", "-p", "mexico", "-d", path, "--units", "usd")
    out, text = result.stdout, joined(result.stdout)
    assert out.splitlines()[0] == "Colombia: trade with Mexico, 2021–2023"
    # 600 against 1,200 would be -50.0%: a half year, not a halving
    assert yearly(out, 2023) == ["2023", "600", "–", "300", "–", "300", "900", "–"]
    assert yearly(out, 2022)[2] == "0.0%"
    assert ("Note: the change in 2023 is left empty for exports, imports and trade: "
            "January–June 2023 against the whole of 2022") in text
    assert "Note: 2023 covers January–June only (6 of 12 months), not the whole year" in text
    assert ("Note: no growth 2021–2023 for exports, imports and trade: the years in it cover "
            "different months (2021-2022: the whole year; 2023: January–June)") in text
    assert line_with(out, "CAGR 2021–2023").split()[2:] == ["–", "–", "–"]
    assert "month(s) only" not in out

    machine = run("trend", "colombia", "-p", "mexico", "-d", path, "-f", "csv")
    table = {r["year"]: r for r in rows(machine.stdout)}
    assert [table[y]["months"] for y in ("2021", "2022", "2023")] == ["1-12", "1-12", "1-6"]
    assert all(table["2023"][c] == "" for c in ("exports_change_pct", "imports_change_pct",
                                                "trade_change_pct", "balance_change_usd"))
    assert "pa-trade: note: the change in 2023 is left empty" in machine.stderr
    summary = rows(run("trend", "colombia", "-p", "mexico", "-d", path, "-f", "csv",
                       "--summary").stdout)
    assert {(r["months"], r["multiple"], r["cagr_pct"]) for r in summary} == {("mixed", "",
                                                                                "")}
    # the whole years alone grow as usual
    whole = rows(run("trend", "colombia", "-p", "mexico", "-y", "2021-2022", "-d", path, "-f",
                     "csv", "--summary").stdout)
    assert {(r["measure"], r["months"], r["cagr_pct"]) for r in whole} == {
        ("exports", "1-12", "0"), ("imports", "1-12", "0"), ("trade", "1-12", "0")}


def test_exports_and_imports_of_different_months_make_no_balance_or_trade(run, tmp_path):
    lines = []
    lines += monthly("COL", "MEX", 2022, "export", WHOLE, 100)
    lines += monthly("COL", "MEX", 2022, "import", WHOLE, 50)
    lines += monthly("COL", "MEX", 2023, "export", HALF, 100)  # exports: January-June only
    lines += monthly("COL", "MEX", 2023, "import", WHOLE, 55)
    path = monthly_file(tmp_path, lines)
    result = run("trend", "colombia", "-p", "mexico", "-d", path, "--units", "usd")
    assert yearly(result.stdout, 2023) == ["2023", "600", "–", "660", "+10.0%", "–", "–", "–"]
    assert ("Note: exports cover January–June 2023, imports the whole of 2023: balance and "
            "trade left empty") in joined(result.stdout)
    (_, row) = rows(run("trend", "colombia", "-p", "mexico", "-d", path, "-f", "csv").stdout)
    assert row["months"] == "exports 1-6; imports 1-12"
    assert (row["balance_usd"], row["trade_usd"], row["imports_change_pct"]) == ("", "", "10")
    summary = {r["measure"]: r for r in rows(run("trend", "colombia", "-p", "mexico", "-d",
                                                 path, "-f", "csv", "--summary").stdout)}
    assert (summary["exports"]["months"], summary["exports"]["cagr_pct"]) == ("mixed", "")
    assert (summary["imports"]["months"], summary["imports"]["cagr_pct"]) == ("1-12", "10")


def test_a_partner_trading_only_in_march_shows_the_months_of_its_sources(run, tmp_path):
    lines = []
    for year in (2022, 2023):
        for flow in ("export", "import"):
            lines += monthly("COL", "USA", year, flow, HALF, 10)
            lines += monthly("COL", "MEX", year, flow, [3], 100 if year == 2022 else 120)
    path = monthly_file(tmp_path, lines)
    out = run("trend", "colombia", "-p", "mexico", "-d", path, "--units", "usd").stdout
    assert out.splitlines()[0] == ("Colombia: trade with Mexico, 2022–2023, January–June of "
                                   "each year")
    assert "March" not in out
    assert yearly(out, 2023)[:3] == ["2023", "120", "+20.0%"]
    table = rows(run("trend", "colombia", "-p", "mexico", "-d", path, "-f", "csv").stdout)
    assert [r["months"] for r in table] == ["1-6", "1-6"]


# --- arithmetic ----------------------------------------------------------------------------

positive = st.floats(min_value=1.0, max_value=1e12, allow_nan=False)


@given(positive, st.integers(1, 40))
def test_cagr_of_a_constant_series_is_zero(value, years):
    assert cagr(value, value, years) == pytest.approx(0.0, abs=1e-12)


@given(positive, st.floats(min_value=-0.9, max_value=2.0), st.integers(1, 30))
def test_cagr_recovers_a_steady_rate(first, rate, years):
    assert cagr(first, first * (1 + rate) ** years, years) == pytest.approx(rate, abs=1e-9)


def test_cagr_is_undefined_without_a_positive_start():
    for args in ((0, 5, 3), (-1, 5, 3), (5, float("nan"), 3), (5, 6, 0)):
        assert cagr(*args) != cagr(*args)  # NaN


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(min_value=1e3, max_value=1e10), min_size=4, max_size=12),
       st.data())
def test_before_and_after_compose_to_the_window(values, data):
    start = 2000
    last = start + len(values) - 1
    entry_year = data.draw(st.integers(start + 2, last))
    records = [{"reporter": "CHL", "partner": "KOR", "year": start + i, "flow": flow,
                "value_usd": v, "valuation": "FOB", "source": "t"}
               for i, v in enumerate(values) for flow in ("export", "import")]
    agreement = Agreement("FTA", ("CHL", "KOR"), datetime.date(entry_year, 3, 1))
    result = trend(flows.aggregate(pd.DataFrame(records)), "CHL", "KOR",
                   agreements=[agreement])
    summary = result.summary.set_index(["measure", "period"])
    for measure in ("exports", "imports", "trade"):
        window, before, after = (summary.loc[(measure, p)] for p in ("window", "before",
                                                                      "after"))
        base = entry_year - 1
        composed = ((1 + before["cagr_pct"] / 100) ** (base - start)
                    * (1 + after["cagr_pct"] / 100) ** (last - base))
        assert composed == pytest.approx(window["multiple"], rel=1e-9)
        assert before["last_usd"] == after["first_usd"]


def test_trend_with_a_bloc_object_excludes_the_reporter():
    records = [{"reporter": "COL", "partner": p, "year": 2020, "flow": "export",
                "value_usd": v, "valuation": "FOB", "source": "t"}
               for p, v in (("MEX", 1.0), ("PER", 2.0), ("COL", 100.0))]
    result = trend(flows.aggregate(pd.DataFrame(records)), "COL", countries.bloc("pa"))
    assert result.members == ["CHL", "MEX", "PER"]
    assert result.table["exports_usd"].tolist() == [3.0]
