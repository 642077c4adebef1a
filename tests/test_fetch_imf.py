"""`fetch imf` against a real HTTP server on 127.0.0.1 replaying the IMF's answers: the
recorded SDMX-CSV answers of api.imf.org (../shared, when present) and, always, an answer in
the same layout made by tests/fixtures/make_imf_fixtures.py. No test leaves this machine."""

from __future__ import annotations

import csv
import io
import os
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from pa_trade.errors import DataError, NetworkError
from pa_trade.fetch.cache import AnswerCache
from pa_trade.fetch.imf import DATA_PATH, ImfClient
from tests.conftest import FIXTURES, ROOT
from tests.test_fetch import FakeComtrade, Reply, Waits, serving, without_fetch_settings

RECORDINGS = ROOT.parent / "shared" / "reference" / "imf-api-recordings" / "reim"
ANSWERS = {"COL": FIXTURES / "imf" / "imts_example.csv",
           "NIC": RECORDINGS / "imf_imts_nic_g001.csv",
           "GTM": RECORDINGS / "imf_imts_gtm_g001.csv"}


class FakeImf(FakeComtrade):
    """The IMF's SDMX 2.1 data endpoint: a reporter's recorded answer, the rows of the
    periods asked (the IMF answers only those), the header and the attribute rows kept."""

    def answer(self, path: str, params: dict):
        scripted = self.scripted(params)
        if scripted is not None:
            return scripted
        if not path.startswith(DATA_PATH):
            return 404, {}, b"NoRecordsFound", None
        reporter, indicators, partners, _frequency = path[len(DATA_PATH):].split(".")
        recorded = ANSWERS.get(reporter)
        if recorded is None or not recorded.exists():
            return 404, {"Content-Type": "text/plain"}, b"No Results Found", None
        lines = recorded.read_text(encoding="utf-8").splitlines(keepends=True)
        start, end = params.get("startPeriod", ""), params.get("endPeriod", "")
        kept = [lines[0]]
        for line in lines[1:]:
            row = next(csv.reader([line]))
            period = row[5].replace("-M", "-")
            if row[2] in indicators.split("+") and (
                    not period or start <= period[: len(start)] <= end) and (
                    not partners or not row[3] or row[3] in partners.split("+")):
                kept.append(line)
        return 200, {"Content-Type": "application/vnd.sdmx.data+csv"}, \
            "".join(kept).encode(), None


@pytest.fixture
def server(monkeypatch):
    without_fetch_settings(monkeypatch)
    monkeypatch.delenv("PA_TRADE_IMF_URL", raising=False)
    with serving(FakeImf()) as fake:
        yield fake


def home() -> Path:
    return Path(os.environ["PA_TRADE_HOME"])  # a scratch folder per test (conftest.py)


def client(server, **options) -> ImfClient:
    options.setdefault("sleep", Waits())
    options.setdefault("cache", AnswerCache(home() / "imf-cache"))
    return ImfClient(server.url, **options)


def recorded(name: str) -> Path:
    if not ANSWERS[name].exists():
        pytest.skip("the IMF API recordings (../shared/reference) are absent")
    return ANSWERS[name]


def test_fetch_imf_then_balance_gives_the_answers_figures(run, server):
    fetched = run("fetch", "imf", "-r", "colombia", "-y", "2023", "--frequency", "monthly",
                  "--api-url", server.url)
    assert fetched.exit_code == 0, fetched.stderr
    assert "imf-COL.csv" in fetched.stdout
    asked = server.seen[0]
    assert asked.path == DATA_PATH + "COL.XG_FOB_USD+MG_CIF_USD+MG_FOB_USD..M"
    assert asked.params == {"startPeriod": "2023-01", "endPeriod": "2023-12"}
    assert "sdmx.data+csv" in asked.headers["Accept"]
    result = run("balance", "colombia", "-y", "2023", "--totals", "-f", "csv", "-q")
    rows = {r["partner"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["WLD"]["exports_usd"] == "12500346913.41"
    # February has no import figure: the sum lacks it, and the load report says so
    assert rows["MEX"]["imports_usd"] == "702000000"
    assert "COL-MEX imports 2023-M02): a sum over the year lacks those months" in \
        fetched.stderr
    assert "IMF IMTS (retrieved " in rows["WLD"]["sources"]
    again = run("fetch", "imf", "-r", "colombia", "-y", "2023", "--frequency", "monthly",
                "--api-url", server.url)
    assert again.exit_code == 0 and len(server.seen) == 1  # from the cache
    assert "1 from the cache" in again.stderr


def test_estimated_figures_say_so_in_their_source(run, server):
    result = run("fetch", "imf", "-r", "colombia", "-p", "mexico", "-y", "2023",
                 "--frequency", "monthly", "--api-url", server.url, "--out", "-")
    assert result.exit_code == 0, result.stderr
    march = [r for r in csv.DictReader(io.StringIO(result.stdout)) if r["month"] == "3"]
    assert march and all(r["source"].endswith(", estimated") for r in march)
    assert server.seen[0].path.endswith("COL.XG_FOB_USD+MG_CIF_USD+MG_FOB_USD.MEX.M")


def test_a_rate_limit_and_a_server_error_are_waited_out(server):
    server.script(Reply(429, "Too Many Requests", headers={"Retry-After": "7"}),
                  Reply(503, "unavailable"))
    waits = Waits()
    flows, _ = client(server, sleep=waits).fetch_flows(["COL"], None, [2023], "monthly")
    assert len(server.seen) == 3 and waits.asked[0] == 7
    assert not flows.empty


def test_an_answer_slower_than_the_timeout_fails_in_one_line(server):
    hold = threading.Event()
    server.script(Reply(200, "", hold=hold, times=None))
    try:
        with pytest.raises(NetworkError) as raised:
            client(server, timeout=0.3, max_retries=0).fetch_flows(["COL"], None, [2023])
    finally:
        hold.set()
    assert "no complete answer within 0.3 s" in str(raised.value)
    assert "the IMF" in str(raised.value)


def test_the_deadline_bounds_the_whole_fetch(server):
    hold = threading.Event()
    server.script(Reply(200, "", hold=hold, times=None))
    try:
        with pytest.raises(NetworkError) as raised:
            client(server, timeout=5, deadline=0.3, max_retries=3).fetch_flows(
                ["COL"], None, [2023])
    finally:
        hold.set()
    assert "deadline of 0.3 s" in str(raised.value)


@pytest.mark.parametrize("reply", [Reply(404, "NoRecordsFound"), Reply(200, ""),
                                   Reply(200, (FIXTURES / "imf" / "imts_example.csv")
                                         .read_text("utf-8").split("\n")[0] + "\n")])
def test_no_data_is_one_clear_line_and_nothing_is_cached(server, reply):
    server.script(reply)
    cache = AnswerCache(home() / "imf-cache")
    with pytest.raises(DataError) as raised:
        client(server, cache=cache).fetch_flows(["COL"], ["MEX"], [2023])
    assert str(raised.value) == "the IMF has no data for Colombia with Mexico in 2023"
    assert cache.entries() == []


def test_an_answer_that_is_no_sdmx_csv_is_refused(server):
    server.script(Reply(200, "<html>maintenance</html>"))
    with pytest.raises(NetworkError) as raised:
        client(server).fetch_flows(["COL"], None, [2023])
    assert "not SDMX-CSV" in str(raised.value) and "maintenance" in str(raised.value)


def test_a_refusal_names_the_imf(run, server):
    server.script(Reply(400, "Semantic error: startPeriod", times=None))
    result = run("fetch", "imf", "-r", "colombia", "-y", "2023", "--api-url", server.url)
    assert result.exit_code == 4
    assert result.stderr.strip().endswith("the IMF: Semantic error: startPeriod (HTTP 400, "
                                          "Colombia 2023)")


@pytest.mark.parametrize("country", ["NIC", "GTM"])
def test_the_recorded_answers_replayed_give_their_yearly_sums(server, country):
    path = recorded(country)
    flows, report = client(server).fetch_flows([country], ["WLD"], [2019, 2020, 2021],
                                               "monthly", "cif")
    assert report.set_aside == []
    ours = flows.groupby(["year", "flow"])["value_usd"].sum().round(2).to_dict()
    direct: dict[tuple, Decimal] = {}
    names = {"XG_FOB_USD": "export", "MG_CIF_USD": "import"}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            year = row["TIME_PERIOD"][:4]
            if row["INDICATOR"] in names and year in ("2019", "2020", "2021"):
                key = (int(year), names[row["INDICATOR"]])
                direct[key] = direct.get(key, Decimal(0)) + Decimal(row["OBS_VALUE"]).quantize(
                    Decimal("0.01"))
    assert {k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in ours.items()} == direct
    assert server.seen[0].params == {"startPeriod": "2019-01", "endPeriod": "2021-12"}


def test_monthly_years_are_asked_in_spans(server):
    queries = client(server).queries(["COL"], None, list(range(2001, 2024)), "monthly", "cif")
    assert [(q.first, q.last) for q in queries] == [(2001, 2010), (2011, 2020), (2021, 2023)]
    annual = client(server).queries(["COL", "PER"], ["WLD", "XEU"], [2015, 2022], "annual",
                                    "cif")
    assert [q.url_path().rsplit("/", 1)[1] for q in annual] == [
        "COL.XG_FOB_USD+MG_CIF_USD.G001+G998.A", "PER.XG_FOB_USD+MG_CIF_USD.G001+G998.A"]


def test_the_cache_lists_and_clears_the_imfs_answers(run, server):
    run("fetch", "imf", "-r", "colombia", "-y", "2023", "--api-url", server.url)
    listed = run("cache", "list")
    assert listed.exit_code == 0, listed.stderr
    assert "imts" in listed.stdout and "COL.XG_FOB_USD+MG_CIF_USD+MG_FOB_USD..A" in listed.stdout
    assert "1 cached answer" in listed.stdout and "cache/imf" in listed.stdout
    cleared = run("cache", "clear")
    assert "removed 1 cached answer" in cleared.stdout and "cache/imf" in cleared.stdout
    assert "imts" not in run("cache", "list").stdout


def test_imf_and_comtrade_files_side_by_side_use_the_imfs_figures_with_a_note(run, server):
    fetched = run("fetch", "imf", "-r", "colombia", "-y", "2023", "--frequency", "monthly",
                  "--api-url", server.url)
    assert fetched.exit_code == 0, fetched.stderr
    folder = home() / "data"
    (folder / "comtrade-COL.csv").write_text(
        "reporter,partner,year,flow,value_usd,valuation,source\n"
        "COL,WLD,2023,export,49000000000,FOB,UN Comtrade (retrieved 2026-11-30)\n"
        "COL,WLD,2021,export,41000000000,FOB,UN Comtrade (retrieved 2026-11-30)\n",
        encoding="utf-8")
    result = run("balance", "colombia", "--totals", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = {(r["partner"], r["year"]): r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows[("WLD", "2023")]["exports_usd"] == "12500346913.41"  # the IMF's, not 49 bn
    assert rows[("WLD", "2021")]["exports_usd"] == "41000000000"  # only Comtrade has 2021
    assert ("Colombia's exports in 2023: the IMF's are used, not UN Comtrade's loaded beside "
            "them") in result.stderr


def test_the_offices_own_figures_come_before_the_imfs(run, tmp_path):
    office = tmp_path / "dane.csv"
    office.write_text("reporter,partner,year,month,flow,value_usd,valuation,source\n"
                      "COL,MEX,2023,1,export,150000000.33,FOB,DANE export microdata\n",
                      encoding="utf-8")
    result = run("balance", "colombia", "-p", "mexico", "-f", "csv", "-d", str(office),
                 "-d", str(FIXTURES / "imf" / "imts_example.csv"), "--no-cache")
    assert result.exit_code == 0, result.stderr
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert row["exports_usd"] == "150000000.33"  # DANE's; its imports (none) from the IMF
    assert row["months"] == "exports 1; imports 1-3"
    assert "the office's own figures are used, not the IMF's" in result.stderr


def test_fetch_imf_then_balance_gives_a_recorded_answers_figures(run, server):
    path = recorded("NIC")
    fetched = run("fetch", "imf", "-r", "nicaragua", "-p", "world", "-y", "2020",
                  "--frequency", "monthly", "--valuation", "cif", "--api-url", server.url)
    assert fetched.exit_code == 0, fetched.stderr
    result = run("balance", "nicaragua", "-y", "2020", "-p", "world", "-f", "csv", "-q")
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    direct = {"XG_FOB_USD": Decimal(0), "MG_CIF_USD": Decimal(0)}
    with path.open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if record["INDICATOR"] in direct and record["TIME_PERIOD"].startswith("2020"):
                direct[record["INDICATOR"]] += Decimal(record["OBS_VALUE"]).quantize(
                    Decimal("0.01"))
    assert Decimal(row["exports_usd"]) == direct["XG_FOB_USD"]
    assert Decimal(row["imports_usd"]) == direct["MG_CIF_USD"]
    assert row["months"] == "1-12"


def test_a_run_without_data_says_what_it_read(run, server):
    run("fetch", "imf", "-r", "colombia", "-y", "2023", "--api-url", server.url)
    result = run("balance", "colombia", "-y", "2023", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert f"no --data given: read 1 file from the user data folder {home() / 'data'}" in \
        result.stderr
    assert "the loaded data cover Colombia (2023)" in result.stderr
