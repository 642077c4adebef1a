"""UN Comtrade's files as layouts (issue 13, item 3): ComtradePlus download CSVs, legacy
comtrade.un.org CSVs (and their 2021 variant), API answers saved as JSON, and the error texts
saved in place of data.

Against the generated fixtures (tests/fixtures/comtrade/, expected.json written by
make_comtrade_fixtures.py) and, when ../shared is there, against real files: each gives per
partner figures equal to direct sums of its rows, computed here with the csv or json module.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from pa_trade import readers
from pa_trade.reference import countries
from tests.conftest import FIXTURES, REFERENCE

COMTRADE = FIXTURES / "comtrade"
EXPECTED = json.loads((COMTRADE / "expected.json").read_text(encoding="utf-8"))
READABLE = sorted(name for name, facts in EXPECTED.items() if not facts.get("error"))
REFUSED = sorted(name for name, facts in EXPECTED.items() if facts.get("error"))
REAL_CSV = REFERENCE / "comtrade-csv-examples"
REAL_JSON = REFERENCE.parent / "realdata" / "hunt1" / "comtrade"


def real(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.exists():
        pytest.skip(f"real file {name} is absent")
    return path


def cents(value: Decimal) -> Decimal:
    """A figure to the cent, half up: what pa-trade keeps of each row (ComtradePlus writes
    some to a tenth of a cent); sums are of these."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def flows_out(run, *paths: Path, extra: tuple[str, ...] = ()) -> dict[str, Decimal]:
    """`pa-trade flows -f csv` over the files -> {reporter|partner|year|month|flow|valuation|
    hs_code: US$}, summed (the tidy output is one row per flow already)."""
    args = ["flows", "-f", "csv", "-q", *extra]
    for path in paths:
        args += ["-d", str(path)]
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    out: dict[str, Decimal] = defaultdict(Decimal)
    for row in csv.DictReader(io.StringIO(result.stdout)):
        key = "|".join([row["reporter"], row["partner"], row["year"], row.get("month", ""),
                        row["flow"], row["valuation"], row.get("hs_code", "")])
        out[key] += Decimal(row["value_usd"])
    return dict(out)


def ours(code: str) -> str:
    """Our code for a Comtrade area code (the mapping is the reference table's; what is
    checked here is the sums)."""
    found = countries.comtrade_to_iso3(code.strip())
    assert found is not None, code
    return found


# -- the generated fixtures ------------------------------------------------------------------


@pytest.mark.parametrize("name", READABLE)
def test_fixture_flows_are_what_its_rows_say(run, name):
    facts = EXPECTED[name]
    got = flows_out(run, COMTRADE / name)
    assert {k: str(cents(v).normalize()) if v else "0" for k, v in got.items()} == {
        k: str(Decimal(v).normalize()) for k, v in facts["flows"].items()}


@pytest.mark.parametrize("name", READABLE)
def test_fixture_rows_are_each_accounted_for(name):
    facts = EXPECTED[name]
    loaded = readers.load([str(COMTRADE / name)], use_cache=False)
    (report,) = loaded.reports
    assert report.layout == facts["layout"]
    assert report.balanced
    assert (report.rows_read, report.rows_used) == (facts["rows_read"], facts["rows_used"])
    assert [(s.line, s.reason) for s in report.set_aside] == [
        (s["line"], s["reason"]) for s in facts["set_aside"]]


@pytest.mark.parametrize("name", REFUSED)
def test_a_file_that_holds_no_data_is_refused_in_one_line(run, name):
    result = run("flows", "-d", str(COMTRADE / name))
    assert result.exit_code == 1
    assert EXPECTED[name]["says"] in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_source_names_the_file_and_the_interface(run):
    result = run("flows", "-f", "csv", "-q",
                 "-d", str(COMTRADE / "comtradeplus_download_2022_totals_latin1_crlf.csv"),
                 "-d", str(COMTRADE / "legacy_comtrade_2017_totals_vs_world.csv"),
                 "-d", str(COMTRADE / "api_answer_2021_peru_partners.json"))
    assert result.exit_code == 0, result.stderr
    sources = {row["source"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert sources == {
        "UN Comtrade (ComtradePlus download, comtradeplus_download_2022_totals_latin1_crlf.csv)",
        "UN Comtrade (comtrade.un.org download, legacy_comtrade_2017_totals_vs_world.csv)",
        "UN Comtrade (API answer, api_answer_2021_peru_partners.json)"}


def test_imports_fob_where_the_file_gives_them(run):
    path = COMTRADE / "comtradeplus_download_2022_totals_latin1_crlf.csv"
    cif = run("balance", "COL", "-p", "MEX", "-d", str(path), "-f", "json", "-q")
    fob = run("balance", "COL", "-p", "MEX", "-d", str(path), "-f", "json", "-q",
              "--valuation", "fob")
    assert cif.exit_code == fob.exit_code == 0, cif.stderr + fob.stderr
    (row_cif,), (row_fob,) = json.loads(cif.stdout), json.loads(fob.stdout)
    assert row_cif["imports_usd"] == 4_174_000_000 and row_fob["imports_usd"] == 4_010_600_000.5
    assert row_cif["exports_usd"] == row_fob["exports_usd"] == 1_752_000_000


def test_a_saved_answer_reads_as_fetch_converts_it(run):
    """One code path: the fetch's sample answer, read as a file, gives fetch's figures."""
    from datetime import datetime, timezone

    from pa_trade.fetch.comtrade import Answer, to_flows
    from pa_trade.readers.report import LoadReport

    path = COMTRADE / "preview_colombia_mexico_2022.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    fetched = to_flows([Answer(document["data"], datetime(2024, 1, 1, tzinfo=timezone.utc))],
                       LoadReport("UN Comtrade", "comtrade-api"))
    want = {"|".join([r.reporter, r.partner, str(r.year), "", r.flow, r.valuation, ""]):
            Decimal(str(r.value_usd)) for r in fetched.itertuples()}
    assert flows_out(run, path) == want


def test_codes_with_spaces_and_a_quoted_header_read(run, tmp_path):
    """Codes padded with spaces (as the ISO codes of a download are) and a header re-saved
    with quotes, as R and spreadsheets write it."""
    source = (COMTRADE / "legacy_comtrade_api_22_columns.csv").read_text(encoding="latin-1")
    header, *rows = source.splitlines()
    quoted = ",".join(f'"{name}"' for name in header.split(","))
    spaced = [row.replace(",152,", ",152 ,").replace(",604,", ", 604,") for row in rows]
    path = tmp_path / "comtrade.csv"
    path.write_text("\n".join([quoted, *spaced]) + "\n", encoding="latin-1")
    assert flows_out(run, path) == flows_out(run, COMTRADE / "legacy_comtrade_api_22_columns.csv")


def test_latin1_names_are_read_as_latin1(run):
    loaded = readers.load([str(COMTRADE / "comtradeplus_download_2022_totals_latin1_crlf.csv")],
                          use_cache=False)
    assert loaded.reports[0].encoding in ("Latin-1", "Windows-1252")
    partners = set(loaded.flows["partner"])
    assert {"CIV", "TUR", "CUW", "XBK", "XNS", "TWN", "WLD"} <= partners


def test_a_comtrade_file_in_a_folder_is_read(run, tmp_path):
    for name in ("comtradeplus_download_2022_no_trailing_comma_utf8_lf.csv",
                 "legacy_comtrade_api_22_columns.csv"):
        (tmp_path / name).write_bytes((COMTRADE / name).read_bytes())
    both = flows_out(run, tmp_path)
    assert both["CHL|PER|2022||import|CIF|"] == Decimal("1890000000.1")
    assert both["CHL|PER|2015||export|FOB|"] == Decimal("1702000000")


# -- real files ------------------------------------------------------------------------------


def plus_sums(path: Path) -> dict[str, Decimal]:
    """Direct sums of a ComtradePlus download's total rows, per reporter, partner, flow and
    valuation: exports primaryValue (FOB); imports primaryValue (CIF) unless the record is
    FOB only, and fobvalue (FOB) where given."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle):
            if (row["flowCode"] not in ("X", "M") or row["partner2Code"] != "0"
                    or row["customsCode"] != "C00" or row["motCode"] != "0"
                    or row["cmdCode"] != "TOTAL"):
                continue
            head = f"{ours(row['reporterCode'])}|{ours(row['partnerCode'])}|{row['refYear']}||"
            primary = cents(Decimal(row["primaryValue"]))
            if row["flowCode"] == "X":
                sums[head + "export|FOB|"] += primary
                continue
            fob = cents(Decimal(row["fobvalue"])) if row["fobvalue"] else None
            if not row["cifvalue"] and fob == primary:
                sums[head + "import|FOB|"] += primary
                continue
            sums[head + "import|CIF|"] += primary
            if fob is not None:
                sums[head + "import|FOB|"] += fob
    return dict(sums)


def test_real_comtradeplus_download_equals_direct_sums(run):
    path = real(REAL_CSV, "comtradeplus_download_TradeData_2022_CHN-DEU-USA_by_partner_TOTAL.csv")
    got = flows_out(run, path)
    assert got == plus_sums(path)
    loaded = readers.load([str(path)], use_cache=False)
    report = loaded.reports[0]
    assert report.layout == "comtrade-plus" and report.balanced
    assert report.rows_read == 1352 and not report.set_aside  # every row a total


def legacy_sums(path: Path, hs: bool) -> tuple[dict[str, Decimal], dict[str, int]]:
    """Direct sums of a legacy download per reporter, partner, year, flow (and commodity):
    Trade Flow Code 2 (or X) exports FOB, 1 (or M) imports (CIF; FOB where the FOB column
    alone gives it); and how many rows of each other flow."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    others: dict[str, int] = defaultdict(int)
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle):
            flow = {"1": "M", "2": "X", "3": "RX", "4": "RM"}.get(row["Trade Flow Code"],
                                                                 row["Trade Flow"])
            if flow not in ("X", "M"):
                others[flow] += 1
                continue
            code = row["Commodity Code"] if hs else ""
            head = (f"{ours(row['Reporter Code'])}|{ours(row['Partner Code'])}|{row['Year']}|"
                    f"|")
            value = Decimal(row["Trade Value (US$)"])
            if flow == "X":
                sums[f"{head}export|FOB|{code}"] += value
            elif not row["CIF Trade Value (US$)"] and row["FOB Trade Value (US$)"] and \
                    Decimal(row["FOB Trade Value (US$)"]) == value:
                sums[f"{head}import|FOB|{code}"] += value
            else:
                sums[f"{head}import|CIF|{code}"] += value
    return dict(sums), dict(others)


@pytest.mark.parametrize("name, hs, other_flows", [
    ("legacy_comtrade_ui_2017_TOTAL_all_reporters_vs_world.csv", False,
     {"re-export": 30, "re-import": 32}),
    ("legacy_comtrade_ui_1989-2020_IDN_partners_HS2402.csv", True, {}),
    ("comtrade_2021_transitional_export_EXCERPT_first30rows.csv", True, {"re-export": 1}),
])
def test_real_legacy_downloads_equal_direct_sums(run, name, hs, other_flows):
    path = real(REAL_CSV, name)
    sums, others = legacy_sums(path, hs)
    assert flows_out(run, path) == sums
    report = readers.load([str(path)], use_cache=False).reports[0]
    assert report.layout == "comtrade-legacy" and report.balanced
    reasons: dict[str, int] = defaultdict(int)
    for row in report.set_aside:
        reasons[row.reason] += 1
    assert dict(reasons) == other_flows
    assert sum(others.values()) == sum(other_flows.values())


def test_real_saved_error_text_is_refused_with_its_words(run):
    path = real(REAL_CSV, "legacy_comtrade_error_query_too_complex.csv")
    first = path.read_text(encoding="latin-1").splitlines()[0].strip()
    result = run("flows", "-d", str(path))
    assert result.exit_code == 1
    assert first in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("name", ["comtradr_data-v1_CHN-ARG-DEU_2010.json",
                                  "macroforge_preview_USA-JPN_2023.json"])
def test_real_saved_answers_equal_direct_sums(run, name):
    path = real(REAL_JSON, name)
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for record in json.loads(path.read_text(encoding="utf-8"))["data"]:
        head = (f"{ours(str(record['reporterCode']))}|{ours(str(record['partnerCode']))}|"
                f"{record['refYear']}||")
        primary = cents(Decimal(str(record["primaryValue"])))
        if record["flowCode"] == "X":
            sums[head + "export|FOB|"] += primary
            continue
        sums[head + "import|CIF|"] += primary
        if record["fobvalue"] is not None:
            sums[head + "import|FOB|"] += cents(Decimal(str(record["fobvalue"])))
    assert flows_out(run, path) == dict(sums)
