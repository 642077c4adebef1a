"""The IMF's DOTS workbooks (layout imf-dots): the real downloads of the four members, read
to the dollar against an independent reading, and a generated workbook in the same layout."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

SHARED = ROOT.parent / "shared" / "reference" / "datasets-found" / "imf-dots-2022-vintage"
WORKBOOKS = {"CHL": "DOTS_39.xlsx", "COL": "DOTS_43.xlsx", "MEX": "DOTS_127.xlsx",
             "PER": "DOTS_156.xlsx"}
EXAMPLE = FIXTURES / "imf" / "DOTS_43_example.xlsx"


def real(name: str) -> Path:
    path = SHARED / "raw" / name
    if not path.exists():
        pytest.skip("the IMF's DOTS workbooks (../shared/reference) are absent")
    return path


def flows_of(result) -> dict[str, str]:
    """{'COL,MEX,2019,import': '3879621855.00'} from `flows -f csv` output."""
    rows = csv.DictReader(io.StringIO(result.stdout))
    return {f"{r['reporter']},{r['partner']},{r['year']},{r['flow']}":
            f"{float(r['value_usd']):.2f}" for r in rows}


def test_the_example_workbook_reads_every_figure_to_the_cent(run):
    result = run("flows", "-d", str(EXAMPLE), "--no-cache")
    assert result.exit_code == 0, result.stderr
    expected = json.loads((FIXTURES / "imf" / "expected.json").read_text(encoding="utf-8"))
    assert flows_of(result) == {k: f"{float(v):.2f}" for k, v in expected.items()}


def test_the_example_workbook_accounts_for_every_row(run):
    result = run("flows", "-d", str(EXAMPLE), "--no-cache")
    err = result.stderr
    assert "row 12 (Australia: same figures as line 8)" in err  # the IMF's repeated row
    assert "[no-figures]" in err and "row 18 ('Greenland')" in err
    assert "[unknown-country]" in err and "row 19 ('Atlantis')" in err
    assert "1 figure carries the IMF's flag 'e' (an estimate)" in err
    strict = run("flows", "-d", str(EXAMPLE), "--no-cache", "--strict")
    assert strict.exit_code == 1


def test_aggregates_are_kept_apart_from_partners(run):
    table = run("balance", "colombia", "-y", "2019", "-d", str(EXAMPLE), "--no-cache", "-q")
    assert table.exit_code == 0, table.stderr
    partners = table.stdout.split("Total, ")[0]
    assert "Euro Area" not in partners and "Advanced Economies" not in partners
    totals = run("balance", "colombia", "-y", "2019", "-d", str(EXAMPLE), "--no-cache", "-q",
                 "--totals", "-f", "csv")
    rows = {r["partner"]: r for r in csv.DictReader(io.StringIO(totals.stdout))}
    assert rows["WLD"]["exports_usd"] == "39485080766"
    assert rows["QOG"]["partner_name"].startswith("Euro Area")


def test_the_four_real_workbooks_read_to_the_dollar(run):
    paths = [str(real(name)) for name in WORKBOOKS.values()]
    args = [a for p in paths for a in ("-d", p)]
    result = run("flows", *args, "--no-cache")
    assert result.exit_code == 0, result.stderr
    ours = flows_of(result)
    assert len(ours) == 61_372  # every cell with a figure, as the independent reading counts
    with (SHARED / "pa_dots_2000_2020_tidy.csv").open(encoding="utf-8") as handle:
        reference = list(csv.DictReader(handle))
    assert len(reference) == 28_368
    wrong = [r for r in reference
             if ours.get(f"{r['reporter']},{r['partner']},{r['year']},{r['flow']}")
             != f"{float(r['value_usd']):.2f}"]
    assert not wrong, wrong[:5]
    # the IMF flags Mexico's 1986 figures as estimates: counted, not dropped
    assert result.stderr.count("carry the IMF's flag 'e'") == 2


def test_the_2019_mirror_of_colombia_and_mexico(run):
    result = run("mirror", "colombia", "mexico", "-y", "2019", "-f", "csv", "-q",
                 "-d", str(real(WORKBOOKS["COL"])), "-d", str(real(WORKBOOKS["MEX"])))
    assert result.exit_code == 0, result.stderr
    rows = {(r["exporter"], r["importer"]): r for r in csv.DictReader(io.StringIO(result.stdout))}
    mexico_to_colombia = rows[("MEX", "COL")]
    assert mexico_to_colombia["exports_reported_usd"] == "3534362000"
    assert mexico_to_colombia["imports_reported_usd"] == "3879621855"
    # whose figure each side is
    assert "DOTS_127.xlsx › Exports, FOB" in mexico_to_colombia["exports_sources"]
    assert mexico_to_colombia["imports_sources"].endswith("DOTS_43.xlsx › Imports, CIF)")


def test_mirror_says_which_source_each_side_comes_from(run, tmp_path):
    header = "reporter,partner,year,flow,value_usd,valuation,source\n"
    (tmp_path / "col.csv").write_text(header + "COL,MEX,2022,import,4174000000,CIF,DANE\n",
                                      encoding="utf-8")
    (tmp_path / "mex.csv").write_text(header + "MEX,COL,2022,export,3900000000,FOB,"
                                      "IMF IMTS (retrieved 2026-12-01)\n", encoding="utf-8")
    args = ["mirror", "mexico", "colombia", "-y", "2022", "-q", "--no-cache",
            "-d", str(tmp_path / "col.csv"), "-d", str(tmp_path / "mex.csv")]
    table = run(*args)
    assert table.exit_code == 0, table.stderr
    assert ("Sources of X (the exporters' exports):\n  IMF IMTS (retrieved 2026-12-01)\n"
            "Sources of M (the importers' imports):\n  DANE") in table.stdout
    row = next(csv.DictReader(io.StringIO(run(*args, "-f", "csv").stdout)))
    assert (row["exports_sources"], row["imports_sources"]) == (
        "IMF IMTS (retrieved 2026-12-01)", "DANE")


# -- SDMX-CSV ---------------------------------------------------------------------------

RECORDINGS = ROOT.parent / "shared" / "reference" / "imf-api-recordings" / "reim"


def monthly_flows(result) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(result.stdout))
    return {f"{r['reporter']},{r['partner']},{r['year']},{r['month']},{r['flow']}":
            f"{float(r['value_usd']):.2f}" for r in rows}


@pytest.mark.parametrize("name", ["imts_example.csv", "imts_example.csv.gz"])
def test_an_sdmx_csv_file_reads_every_observation_to_the_cent(run, name):
    result = run("flows", "-d", str(FIXTURES / "imf" / name), "--no-cache")
    assert result.exit_code == 0, result.stderr
    expected = json.loads((FIXTURES / "imf" / "imts_expected.json").read_text("utf-8"))
    assert monthly_flows(result) == {k: f"{float(v):.2f}" for k, v in expected.items()}
    err = result.stderr
    assert "line 12 (OBS_VALUE)" in err and "[missing-value]" in err  # an empty observation
    assert "3 rows of TBG_USD, the trade balance" in err
    assert "1 row with attributes only" in err
    assert "2 figures are estimated by the IMF (STATUS E)" in err


def test_sdmx_csv_monthly_figures_make_the_year(run):
    result = run("balance", "colombia", "-y", "2023", "--totals", "-f", "csv", "-q",
                 "-d", str(FIXTURES / "imf" / "imts_example.csv"), "--no-cache")
    rows = {r["partner"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["WLD"]["exports_usd"] == "12500346913.41"  # 4102345678.91 + 3998001234.50
    assert rows["WLD"]["months"] == "1-3"                   #   + 4400000000.00


@pytest.mark.parametrize("country", ["nic", "gtm"])
def test_the_real_imf_answers_give_the_yearly_sums_of_their_rows(run, country):
    from decimal import Decimal

    path = RECORDINGS / f"imf_imts_{country}_g001.csv.gz"
    if not path.exists():
        pytest.skip("the IMF API recordings (../shared/reference) are absent")
    result = run("flows", "-d", str(path), "--no-cache", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    ours: dict[tuple, Decimal] = {}
    for row in csv.DictReader(io.StringIO(result.stdout)):
        key = (row["partner"], row["year"], row["flow"], row["valuation"])
        ours[key] = ours.get(key, Decimal(0)) + Decimal(row["value_usd"])
    with (RECORDINGS / f"imf_imts_{country}_g001.csv").open(encoding="utf-8") as handle:
        direct: dict[tuple, Decimal] = {}
        flows = {"XG_FOB_USD": ("export", "FOB"), "MG_CIF_USD": ("import", "CIF")}
        for row in csv.DictReader(handle):
            if row["INDICATOR"] in flows and row["OBS_VALUE"]:
                key = ("WLD", row["TIME_PERIOD"][:4], *flows[row["INDICATOR"]])
                cents = Decimal(row["OBS_VALUE"]).quantize(Decimal("0.01"))
                direct[key] = direct.get(key, Decimal(0)) + cents
    assert ours == direct
    assert len(direct) == 2 * 37  # 1990-2026, both flows
    plain = run("flows", "-d", str(RECORDINGS / f"imf_imts_{country}_g001.csv"), "--no-cache")
    assert plain.stdout.replace(".csv)", ".csv.gz)") == result.stdout


# -- SDMX-ML ------------------------------------------------------------------------------

KUZNETS = ROOT.parent / "shared" / "reference" / "imf-api-recordings" / "kuznets"
OPENBB = ROOT.parent / "shared" / "reference" / "imf-api-recordings" / "openbb"


def test_an_sdmx_ml_answer_reads_as_its_csv_twin(run):
    xml = run("flows", "-d", str(FIXTURES / "imf" / "imts_example.xml"), "--no-cache")
    assert xml.exit_code == 0, xml.stderr
    expected = json.loads((FIXTURES / "imf" / "imts_expected.json").read_text("utf-8"))
    assert monthly_flows(xml) == {k: f"{float(v):.2f}" for k, v in expected.items()}
    assert "1 series without observations" in xml.stderr


def test_a_cut_sdmx_ml_answer_is_refused_whole(run, tmp_path):
    text = (FIXTURES / "imf" / "imts_example.xml").read_text("utf-8")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    result = run("flows", "-d", str(cut), "--no-cache")
    assert result.exit_code == 1
    assert "not a whole SDMX-ML message" in result.stderr and "nothing of it" in result.stderr
    assert result.stdout == ""


def test_the_real_sdmx_ml_answers(run):
    laos = KUZNETS / "imts_lao_2019_exports.xml"
    if not laos.exists():
        pytest.skip("the IMF API recordings (../shared/reference) are absent")
    result = run("flows", "-d", str(laos), "--no-cache", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 105 and "20 series without observations" in result.stderr
    from pa_trade.reference import countries

    by_country = {r["partner"]: float(r["value_usd"]) for r in rows
                  if countries.kind(r["partner"]) == "country"}
    total = sum(by_country.values())
    shares = {p: round(by_country[p] / total, 4) for p in ("THA", "CHN", "VNM")}
    assert shares == {"THA": 0.4143, "CHN": 0.2879, "VNM": 0.1816}  # as kuznets' tests say
    usa = run("flows", "-d", str(next(OPENBB.glob("imts_USA_*.xml"))), "--no-cache")
    assert "USA,WLD,2023,export,2019551635133,FOB" in usa.stdout  # SDMX 3.0, in units
