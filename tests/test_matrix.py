"""matrix: who exports how much to whom inside a bloc, from either side's records."""

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_trade import flows
from pa_trade.analysis.matrix import column_totals, matrix, row_totals
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

PA = ["CHL", "COL", "MEX", "PER"]


@pytest.fixture(scope="module")
def imf():
    return imf_reference()


# --- the real IMF figures ------------------------------------------------------------------

@pytest.mark.parametrize("year", [2000, 2019])
def test_wide_csv_cells_are_what_the_exporters_report(run, imf, year):
    path, raw = imf
    result = run("matrix", "--year", str(year), "-d", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "exporter,CHL,COL,MEX,PER,year,months"
    table = rows(result.stdout)
    assert [r["exporter"] for r in table] == PA
    assert {r["year"] for r in table} == {str(year)}
    assert {r["months"] for r in table} == {"1-12"}  # yearly figures: whole years
    for row in table:
        for importer in PA:
            if importer == row["exporter"]:
                assert row[importer] == ""
                continue
            expected = direct(raw, row["exporter"], importer, year, "export")
            assert float(row[importer]) == pytest.approx(expected, abs=0.005)
    assert "exports as the exporters report them, FOB, in US dollars" in result.stderr


def test_mirror_fills_the_cells_from_the_importers(run, imf):
    path, raw = imf
    result = run("matrix", "-y", "2019", "--mirror", "-d", path, "-f", "json")
    records = json.loads(result.stdout)
    for record in records:
        exporter = record["exporter"]
        assert record[exporter] is None
        for importer in PA:
            if importer != exporter:
                expected = direct(raw, importer, exporter, 2019, "import")
                assert record[importer] == pytest.approx(expected, abs=0.005)
    # Colombia's imports from Mexico, as Colombia reports them
    assert next(r for r in records if r["exporter"] == "MEX")["COL"] == pytest.approx(
        3_879_621_855, abs=1)


def test_table_for_people_has_names_units_valuation_and_totals(run, imf):
    path, raw = imf
    out = run("matrix", "-y", "2019", "-d", path).stdout
    assert "Pacific Alliance: trade between members, 2019, as the exporters report it" in out
    assert "millions of US dollars" in out and "exports FOB" in out
    mexico = line_with(out, "Mexico ", "·")
    assert "3,534.4" in mexico
    mexico_total = sum(direct(raw, "MEX", p, 2019, "export") for p in ("CHL", "COL", "PER"))
    assert f"{mexico_total / 1e6:,.1f}" in mexico
    into_colombia = sum(direct(raw, e, "COL", 2019, "export") for e in ("CHL", "MEX", "PER"))
    assert f"{into_colombia / 1e6:,.1f}" in line_with(out, "Total ")
    mirrored = run("matrix", "-y", "2019", "-d", path, "--mirror").stdout
    assert "as the importers report it" in mirrored and "imports CIF" in mirrored
    assert "3,879.6" in line_with(mirrored, "Mexico ", "·")


def test_the_default_year_is_the_latest_with_trade_inside_the_bloc(run, imf):
    path, _ = imf
    assert "2020, as the exporters" in run("matrix", "-d", path).stdout


# --- small files of our own ----------------------------------------------------------------

def test_a_member_that_reports_nothing_has_an_empty_row(run, tmp_path):
    data = tidy_file(tmp_path, [
        "COL,MEX,2021,export,100,FOB,DANE", "COL,PER,2021,export,50.5,FOB,DANE",
        "MEX,COL,2021,export,300,FOB,SE", "COL,USA,2021,export,999,FOB,DANE",
    ])
    result = run("matrix", "-y", "2021", "-d", data, "-f", "tsv")
    table = {r["exporter"]: r for r in rows(result.stdout, "\t")}
    assert table["COL"]["MEX"] == "100" and table["COL"]["PER"] == "50.5"
    assert table["COL"]["CHL"] == ""  # not reported, not 0
    assert all(table["PER"][c] == "" for c in PA)
    assert "USA" not in result.stdout.splitlines()[0]
    assert "Peru reports no exports with the other members in 2021" in result.stderr
    people = run("matrix", "-y", "2021", "-d", data).stdout
    assert "–" in line_with(people, "Peru ", "·")


def test_the_year_chosen_for_the_user_shows_in_machine_output(run, tmp_path):
    data = tidy_file(tmp_path, ["COL,PER,2020,export,5,FOB,DANE",
                                "COL,PER,2021,export,7,FOB,DANE"])
    quiet = run("matrix", "-d", data, "-f", "json", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    records = json.loads(quiet.stdout)
    assert {r["year"] for r in records} == {2021}  # a number, like the cells
    assert next(r for r in records if r["exporter"] == "COL")["PER"] == 7
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        result = run("matrix", "-d", data, "-f", fmt)
        assert {r["year"] for r in rows(result.stdout, delimiter)} == {"2021"}
        assert ("pa-trade: note: no --year given: 2021, the latest year in which a member "
                "reports trade with another") in result.stderr
    asked = run("matrix", "-y", "2020", "-d", data, "-f", "csv")
    assert {r["year"] for r in rows(asked.stdout)} == {"2020"}
    assert "no --year given" not in asked.stderr


def test_markdown_footer_and_alignment_follow_balance(run, tmp_path):
    data = tidy_file(tmp_path, ["COL,PER,2021,export,7,FOB,DANE"])
    out = run("matrix", "-d", data, "-f", "markdown").stdout
    assert_markdown_footer_is_a_list(out, "DANE")
    assert markdown_alignments(out) == [["left"] + ["right"] * 5]


def test_units_scale_the_cells(run, tmp_path):
    data = tidy_file(tmp_path, ["CHL,PER,2021,export,2500000,FOB,BCCh"])
    (chile, *_) = rows(run("matrix", "-d", data, "-f", "csv", "--units", "millions").stdout)
    assert chile["PER"] == "2.5"


def test_a_bloc_of_ones_own(run, tmp_path, monkeypatch):
    from pa_trade.reference import countries

    # blocs added from a file stay for the process: keep them out of the other tests
    monkeypatch.setattr(countries, "_user_blocs", {})
    monkeypatch.setattr(countries, "_user_order", [])
    blocs = tmp_path / "blocs.csv"
    blocs.write_text("bloc,code,aliases,name_en,name_es,members,source\n"
                     "andes,XAN,,Andean pair,Par andino,COL PER,test\n", encoding="utf-8")
    data = tidy_file(tmp_path, ["COL,PER,2021,export,7,FOB,DANE",
                                "COL,MEX,2021,export,9,FOB,DANE"])
    result = run("matrix", "--bloc", "andes", "--blocs", str(blocs), "-d", data, "-f", "csv")
    assert result.stdout.splitlines() == ["exporter,COL,PER,year,months", "COL,,7,2021,1-12",
                                          "PER,,,2021,"]


@pytest.mark.parametrize("args, code, message", [
    (["matrix", "-y", "2020-2021"], 2, "matrix takes one year; --year 2020-2021 is 2 years"),
    (["matrix", "-y", "2019", "-y", "2021"], 2,
     "matrix takes one year; --year 2019 --year 2021 is 2 years"),
    (["matrix", "--bloc", "atlantis"], 2, "not a known bloc"),
    (["matrix", "-y", "2010"], 1, "no member of the bloc reports exports to another member in "
                                  "2010; the loaded data cover Colombia (2021)"),
    (["matrix", "-y", "2021", "--mirror"], 1, "reports imports from another member"),
])
def test_errors_are_one_line_with_their_exit_code(run, tmp_path, args, code, message):
    data = tidy_file(tmp_path, ["COL,PER,2021,export,7,FOB,DANE"])
    result = run(*args, "-d", data)
    assert result.exit_code == code
    assert message in result.stderr and result.stderr.count("\n") == 1


# --- months: every cell knows the months it covers ----------------------------------------

@pytest.fixture
def colombia_half_year(tmp_path):
    """Colombia's export files cover January-June 2023; Mexico's and Peru's the whole year."""
    return monthly_file(tmp_path, [
        *monthly("COL", "MEX", 2023, "export", HALF, 10),  # 60
        *monthly("COL", "PER", 2023, "export", HALF, 5),  # 30
        *monthly("MEX", "COL", 2023, "export", WHOLE, 20),  # 240
        *monthly("MEX", "PER", 2023, "export", WHOLE, 1),  # 12
        *monthly("PER", "MEX", 2023, "export", WHOLE, 2),  # 24
    ])


def test_cells_over_other_months_are_marked_noted_and_left_out_of_totals(run,
                                                                          colombia_half_year):
    result = run("matrix", "-d", colombia_half_year, "--units", "usd", "-q")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == ("Pacific Alliance: trade between members, 2023, as the "
                                   "exporters report it")
    colombia = line_with(out, "Colombia ", "·").split()
    assert colombia[1:] == ["–", "·", "60", "†", "30", "†", "–"]  # no row total
    assert line_with(out, "Total ").split()[1:] == ["–", "240", "24", "12", "276"]
    assert ("Note: Colombia → Mexico (January–June 2023) and Colombia → Peru (January–June "
            "2023) cover other months than the other cells (the whole of 2023): not "
            "comparable with them, and left out of the totals") in joined(out)
    assert "† other months than the other cells, left out of the totals" in joined(out)

    machine = run("matrix", "-d", colombia_half_year, "-f", "csv")
    table = {r["exporter"]: r for r in rows(machine.stdout)}
    assert (table["COL"]["MEX"], table["COL"]["months"]) == ("60", "1-6")
    assert table["MEX"]["months"] == "1-12" and table["CHL"]["months"] == ""
    assert "Colombia → Mexico (January–June 2023) and Colombia → Peru" in machine.stderr
    records = {r["exporter"]: r for r in json.loads(run("matrix", "-d", colombia_half_year,
                                                        "-f", "json").stdout)}
    assert records["COL"]["months"] == "1-6" and records["PER"]["months"] == "1-12"


def test_every_cell_over_one_part_year_puts_it_in_the_title(run, colombia_half_year):
    result = run("matrix", "-d", colombia_half_year, "--months", "1-6", "--units", "usd")
    out = result.stdout
    assert out.splitlines()[0] == ("Pacific Alliance: trade between members, January–June "
                                   "2023, as the exporters report it")
    assert "†" not in out and "other months" not in out
    assert line_with(out, "Colombia ", "·").split()[-1] == "90"
    grand = line_with(out, "Total ").split()[-1]
    assert grand == f"{60 + 30 + 120 + 6 + 12:,}"
    machine = run("matrix", "-d", colombia_half_year, "--months", "1-6", "-f", "csv")
    assert {r["months"] for r in rows(machine.stdout) if r["exporter"] != "CHL"} == {"1-6"}
    assert ("values are exports as the exporters report them, FOB, January–June 2023, in US "
            "dollars") in machine.stderr


def test_a_cell_traded_only_in_march_covers_what_its_source_covers(run, tmp_path):
    path = monthly_file(tmp_path, [
        *monthly("COL", "USA", 2023, "export", HALF, 10),
        *monthly("COL", "PER", 2023, "export", HALF, 5),
        *monthly("COL", "MEX", 2023, "export", [3], 70),  # Mexico bought in March only
    ])
    out = run("matrix", "-d", path, "--units", "usd").stdout
    assert out.splitlines()[0] == ("Pacific Alliance: trade between members, January–June "
                                   "2023, as the exporters report it")
    assert "March" not in out and "†" not in out
    assert line_with(out, "Colombia ", "·").split()[-1] == "100"  # 70 + 30
    result = matrix(flows.normalise_frame(pd.read_csv(path)), PA, 2023)
    assert set(result.table["months"]) == {"1-6"}
    assert list(result.table.columns[:2]) == ["year", "months"]


# --- arithmetic ----------------------------------------------------------------------------

cells = st.lists(
    st.tuples(st.sampled_from(PA), st.sampled_from(PA + ["USA", "WLD"]),
              st.sampled_from(["export", "import"]),
              st.integers(1, 10**12).map(lambda c: c / 100)),
    min_size=1, max_size=30,
)


@settings(max_examples=30, deadline=None)
@given(cells, st.booleans())
def test_row_sums_are_each_exporters_total_to_the_other_members(records, use_mirror):
    frame = flows.aggregate(pd.DataFrame(
        [{"reporter": r, "partner": p, "year": 2020, "flow": f, "value_usd": v,
          "valuation": "FOB", "source": "t"} for r, p, f, v in records]))
    flow = "import" if use_mirror else "export"
    inside = frame[frame["reporter"].isin(PA) & frame["partner"].isin(PA)
                   & (frame["reporter"] != frame["partner"]) & (frame["flow"] == flow)]
    if inside.empty:
        return
    result = matrix(frame, PA, 2020, mirror=use_mirror)
    exporter_side = "partner" if use_mirror else "reporter"
    importer_side = "reporter" if use_mirror else "partner"
    for code in PA:
        mine = inside[inside[exporter_side] == code]["value_usd"]
        got = row_totals(result)[code]
        assert (mine.empty and pd.isna(got)) or got == pytest.approx(mine.sum(), abs=0.01)
        theirs = inside[inside[importer_side] == code]["value_usd"]
        got = column_totals(result)[code]
        assert (theirs.empty and pd.isna(got)) or got == pytest.approx(theirs.sum(), abs=0.01)
        assert pd.isna(result.wide.at[code, code])
