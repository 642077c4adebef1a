"""`fetch comtrade` and `cache`: a real HTTP server on 127.0.0.1 replays Comtrade answers.

The server (`FakeComtrade`) holds records in the API's own format and answers queries the way
the preview does (filtered by reporter, year, flow and partner, cut at its record cap); tests
script failures in front of it (429, 5xx, malformed JSON, refusals). Nothing touches the
internet and nothing really waits: `sleep` is injected or replaced.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest

from pa_trade.cli.fetch import ProgressBar, format_age
from pa_trade.errors import DataError, ExitCode, NetworkError, UsageError
from pa_trade.fetch.cache import AnswerCache
from pa_trade.fetch.codes import comtrade_code
from pa_trade.fetch.comtrade import (
    KEY_HEADER,
    KEYED_PATH,
    PREVIEW_PATH,
    Answer,
    ComtradeClient,
    to_flows,
)
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries

SAMPLE = Path(__file__).parent / "fixtures" / "comtrade" / "preview_colombia_mexico_2022.json"
KEY = "k3y-Sup3rSecret-0042"
TEMPLATE = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"][0]


# -- the server ------------------------------------------------------------------------------


@dataclass
class Reply:
    """A scripted answer, served (`times` times, None: always) to requests `when` matches."""

    status: int
    body: str | bytes = ""
    headers: dict = field(default_factory=dict)
    when: object = None  # callable(params) -> bool, or None for any request
    times: int | None = 1
    hold: threading.Event | None = None  # keep the client waiting until set
    # writes the whole response itself (status line, headers, body) to the socket file, for
    # answers no well-behaved server sends: dripped bytes, bodies without end
    raw: Callable[[FakeComtrade, object], None] | None = None


@dataclass
class Seen:
    path: str
    params: dict
    headers: dict


class FakeComtrade:
    """The records of a small Comtrade, answered as the v1 API answers them."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        self.cap = 500
        self.lock = threading.Lock()
        self.url = ""
        self.stopped = threading.Event()  # set when the test ends: raw writers stop

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def periods_asked(self) -> list[str]:
        return [s.params.get("period") for s in self.seen]

    def scripted(self, params: dict) -> tuple[int, dict, bytes, Reply] | None:
        """The first scripted reply for these parameters (used up as it says), or None."""
        with self.lock:
            for reply in self.replies:
                if reply.when is None or reply.when(params):
                    if reply.times is not None:
                        reply.times -= 1
                        if reply.times == 0:
                            self.replies.remove(reply)
                    body = reply.body if isinstance(reply.body, bytes) else reply.body.encode()
                    return reply.status, reply.headers, body, reply
        return None

    def answer(self, path: str, params: dict) -> tuple[int, dict, bytes, Reply | None]:
        scripted = self.scripted(params)
        if scripted is not None:
            return scripted
        if path not in (PREVIEW_PATH, KEYED_PATH):
            return 404, {}, b'{"error": "no such endpoint"}', None
        flows = params.get("flowCode", "X,M").split(",")
        partners = params.get("partnerCode")
        wanted = None if partners is None else {int(p) for p in partners.split(",")}
        data = [
            r for r in self.records
            if str(r["reporterCode"]) == params.get("reporterCode")
            and str(r["refYear"]) == params.get("period")
            and r["flowCode"] in flows
            and (wanted is None or r["partnerCode"] in wanted)
        ][: self.cap]
        body = {"elapsedTime": "0.01 secs", "count": len(data), "data": data, "error": ""}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode(), None


@contextlib.contextmanager
def serving(fake: FakeComtrade | None = None):
    """A FakeComtrade (or another fake with its `answer`) listening on 127.0.0.1 (a free
    port), in a thread, while in use."""
    fake = fake if fake is not None else FakeComtrade()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            parts = urlsplit(self.path)
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            with fake.lock:
                fake.seen.append(Seen(parts.path, params, dict(self.headers)))
            status, headers, body, reply = fake.answer(parts.path, params)
            if reply is not None and reply.hold is not None:
                reply.hold.wait(5)
            try:
                if reply is not None and reply.raw is not None:
                    self.close_connection = True
                    reply.raw(fake, self.wfile)
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up waiting (timeout test)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield fake
    finally:
        fake.stopped.set()
        for reply in fake.replies:
            if reply.hold is not None:
                reply.hold.set()
        httpd.shutdown()
        httpd.server_close()


def without_fetch_settings(monkeypatch) -> None:
    """No proxy, key or server from the environment of the test run."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # a proxy in the environment
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    monkeypatch.delenv("PA_TRADE_COMTRADE_URL", raising=False)


@pytest.fixture
def server(monkeypatch):
    """A FakeComtrade on 127.0.0.1, with no proxy, key or server from the environment."""
    without_fetch_settings(monkeypatch)
    with serving() as fake:
        yield fake


def record(reporter: int, partner: int, year: int, flow: str, value: float,
           fob: float | None = None, **changes) -> dict:
    """A Comtrade record like the preview's, with its descriptions."""
    rec = dict(TEMPLATE)
    iso = countries.comtrade_to_iso3(partner)
    rec.update(
        refYear=year, period=str(year), refPeriodId=int(f"{year}0101"),
        reporterCode=reporter, reporterISO=countries.comtrade_to_iso3(reporter),
        partnerCode=partner, partnerISO=iso or "", partnerDesc=countries.name(iso) if iso
        else f"area {partner}",
        flowCode=flow, flowDesc="Export" if flow == "X" else "Import",
        primaryValue=value,
        fobvalue=value if flow == "X" else fob,
        cifvalue=None if flow == "X" else value,
    )
    rec.update(changes)
    return rec


def colombia(years=(2021, 2022)) -> list[dict]:
    """Colombia's totals with a few partners, the World and the EU, as Comtrade has them."""
    out = []
    for year in years:
        step = year - 2020
        for partner, exports, imports in (
            (484, 1_500_000_000.5, 4_400_000_000.25), (842, 11_000_000_000, 14_000_000_000),
            (251, 300_000_000, 900_000_000), (490, 12_345_678.9, 98_765_432.1),
            (604, 800_000_000, 650_000_000), (97, 5_000_000_000, 7_000_000_000),
            (0, 57_000_000_000, 77_000_000_000),
        ):
            out.append(record(170, partner, year, "X", exports + step))
            out.append(record(170, partner, year, "M", imports + step,
                              fob=round((imports + step) * 0.94, 2)))
    return out


def expected_from(records: list[dict]) -> pd.DataFrame:
    """The flows straight from Comtrade records: X FOB, M CIF and M FOB from fobvalue."""
    rows = []
    for r in records:
        base = dict(reporter=countries.comtrade_to_iso3(r["reporterCode"]),
                    partner=countries.comtrade_to_iso3(r["partnerCode"]), year=r["refYear"])
        if r["flowCode"] == "X":
            rows.append({**base, "flow": "export", "valuation": "FOB",
                         "value_usd": r["primaryValue"]})
        else:
            rows.append({**base, "flow": "import", "valuation": "CIF",
                         "value_usd": r["primaryValue"]})
            rows.append({**base, "flow": "import", "valuation": "FOB",
                         "value_usd": r["fobvalue"]})
    return table(pd.DataFrame(rows))


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """Flows as comparable plain rows: sorted, dollars to the cent, no source."""
    frame = frame[["reporter", "partner", "year", "flow", "valuation", "value_usd"]].copy()
    frame = frame.astype({"reporter": str, "partner": str, "year": int, "flow": str,
                          "valuation": str, "value_usd": float})
    frame["value_usd"] = frame["value_usd"].round(2)
    return frame.sort_values(["reporter", "partner", "year", "flow", "valuation"]) \
        .reset_index(drop=True)


class Waits:
    """Stands in for time.sleep: records what it was asked to wait, waits nothing."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def client(server: FakeComtrade, **options) -> ComtradeClient:
    options.setdefault("sleep", Waits())
    options.setdefault("cache", AnswerCache())
    return ComtradeClient(server.url, **options)


def all_text_under(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in folder.rglob("*") if p.is_file())


# -- codes -----------------------------------------------------------------------------------


def test_comtrade_codes_both_ways():
    assert {c: countries.comtrade_to_iso3(c) for c in (842, 251, 490, 0, 579, 699, 757, 97)} \
        == {842: "USA", 251: "FRA", 490: "TWN", 0: "WLD", 579: "NOR", 699: "IND", 757: "CHE",
            97: "XEU"}
    asked = {iso: comtrade_code(iso) for iso in ("USA", "FRA", "NOR", "IND", "CHE", "TWN",
                                                 "COL", "MEX", "CHL", "PER", "WLD", "XEU")}
    assert asked == {"USA": 842, "FRA": 251, "NOR": 579, "IND": 699, "CHE": 757, "TWN": 490,
                     "COL": 170, "MEX": 484, "CHL": 152, "PER": 604, "WLD": 0, "XEU": 97}
    # every code pa-trade asks with is read back as the same country
    for iso in countries.all_codes():
        code = comtrade_code(iso)
        assert code is None or countries.comtrade_to_iso3(code) == iso


# -- conversion ------------------------------------------------------------------------------


def test_sample_answer_converts_to_canonical_flows():
    answer = json.loads(SAMPLE.read_text(encoding="utf-8"))
    report = LoadReport("UN Comtrade", "comtrade-api")
    retrieved = datetime(2024, 5, 2, 10, 0, tzinfo=timezone.utc)
    flows = to_flows([Answer(answer["data"], retrieved)], report)
    assert table(flows).to_dict("records") == [
        {"reporter": "COL", "partner": "MEX", "year": 2022, "flow": "export",
         "valuation": "FOB", "value_usd": 1_500_000_000.0},
        {"reporter": "COL", "partner": "MEX", "year": 2022, "flow": "import",
         "valuation": "CIF", "value_usd": 4_400_000_000.0},
        {"reporter": "COL", "partner": "MEX", "year": 2022, "flow": "import",
         "valuation": "FOB", "value_usd": 4_150_000_000.0},
    ]
    assert set(flows["source"]) == {"UN Comtrade (retrieved 2024-05-02)"}
    assert (report.rows_read, report.rows_used, report.set_aside) == (2, 2, [])


def test_every_record_is_converted_or_reported():
    records = [
        record(170, 484, 2022, "X", 100.0),
        record(170, 484, 2022, "X", 7.0, motCode=2100),            # by mode of transport
        record(170, 484, 2022, "M", 9.0, customsCode="C01"),       # one customs procedure
        record(170, 484, 2022, "M", 8.0, partner2Code=842),        # by second partner
        record(170, 999, 2022, "X", 50.0, partnerDesc="Atlantis"),  # no such area
        record(170, 250, 2022, "X", 40.0),                         # France, older code ...
        record(170, 251, 2022, "X", 41.0),                         # ... and current: nested
        record(170, 899, 2022, "M", 3.0),                          # "Areas, nes"
        record(170, 568, 2022, "M", 4.0),                          # "Other Europe, nes"
        record(170, 484, 2022, "X", 100.0),                        # the first one again
        record(170, 152, 2022, "X", None),                         # no value
        record(170, 76, 2022, "M", 60.0, fob=60.0, cifvalue=None),  # Brazil-style FOB imports
        record(170, 32, 2022, "X", 1.0, motCode="0", partner2Code=0.0),  # codes as text/float
    ]
    report = LoadReport("UN Comtrade", "comtrade-api")
    flows = to_flows([Answer(records, datetime(2024, 1, 1, tzinfo=timezone.utc))], report)
    assert report.balanced and report.rows_read == len(records)
    reasons = sorted((s.reason, s.line) for s in report.set_aside)
    assert reasons == [("duplicate-area", 6), ("duplicate-record", 10), ("missing-value", 11),
                       ("not-a-total", 2), ("not-a-total", 3), ("not-a-total", 4),
                       ("unknown-country", 5)]
    unknown = next(s for s in report.set_aside if s.reason == "unknown-country")
    assert "999" in unknown.detail and "Atlantis" in unknown.detail
    got = {(r.partner, r.flow, r.valuation): r.value_usd for r in flows.itertuples()}
    assert got == {("MEX", "export", "FOB"): 100.0, ("FRA", "export", "FOB"): 41.0,
                   ("XNS", "import", "CIF"): 7.0, ("BRA", "import", "FOB"): 60.0,
                   ("ARG", "export", "FOB"): 1.0}


# -- the client against the server -----------------------------------------------------------


def test_flows_equal_what_the_server_sent(server):
    server.records = colombia()
    fetched = client(server)
    flows, report = fetched.fetch_totals(["COL"], None, [2021, 2022])
    pd.testing.assert_frame_equal(table(flows), expected_from(server.records))
    assert report.balanced and not report.set_aside
    assert [s.path for s in server.seen] == [PREVIEW_PATH, PREVIEW_PATH]
    first = server.seen[0].params
    assert first["reporterCode"] == "170" and first["period"] == "2021"
    assert (first["cmdCode"], first["flowCode"], first["partner2Code"], first["customsCode"],
            first["motCode"]) == ("TOTAL", "X,M", "0", "C00", "0")
    assert "partnerCode" not in first and KEY_HEADER not in server.seen[0].headers


def test_rate_limit_waits_the_time_named_then_retries(server):
    server.records = colombia([2022])
    server.script(Reply(429, '{"statusCode": 429, "message": "Rate limit is exceeded. Try '
                             'again in 1 seconds."}'),
                  Reply(429, "Too many requests", headers={"Retry-After": "3"}))
    waits = Waits()
    flows, _ = client(server, sleep=waits).fetch_totals(["COL"], None, [2022])
    assert waits.asked == [1.0, 3.0]
    assert len(server.seen) == 3
    pd.testing.assert_frame_equal(table(flows), expected_from(server.records))


def test_rate_limit_longer_than_max_wait_fails_at_once(server):
    server.script(Reply(429, '{"message": "Rate limit is exceeded. Try again in 3600 seconds."}'))
    waits = Waits()
    with pytest.raises(NetworkError, match="asks to wait 3600 s; try again later"):
        client(server, sleep=waits, max_wait=120).fetch_totals(["COL"], None, [2022])
    assert waits.asked == [] and len(server.seen) == 1


def test_server_errors_retry_with_growing_backoff_then_succeed(server):
    server.records = colombia([2022])
    server.script(Reply(500, "boom"), Reply(502, "<html>bad gateway</html>"), Reply(503, ""))
    waits = Waits()
    flows, _ = client(server, sleep=waits, max_retries=3).fetch_totals(["COL"], None, [2022])
    assert len(waits.asked) == 3 and len(server.seen) == 4
    # exponential with jitter: each wait within [half, whole] of 1, 2, 4 seconds
    for wait, step in zip(waits.asked, (1, 2, 4), strict=True):
        assert step / 2 <= wait <= step
    assert len(flows) == len(expected_from(server.records))


def test_retries_are_bounded_and_fail_with_exit_code_4(server, run, monkeypatch):
    server.script(Reply(503, "unavailable", times=None))
    waits = Waits()
    monkeypatch.setattr(time, "sleep", waits)
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--retries", "2",
                 "--api-url", server.url)
    assert result.exit_code == ExitCode.NETWORK == 4
    assert len(server.seen) == 3 and len(waits.asked) == 2
    assert result.stderr.count("\n") == 1
    assert "HTTP 503" in result.stderr and "3 tries" in result.stderr


def test_unreachable_server_is_one_line_exit_4(run, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(time, "sleep", Waits())
    result = run("fetch", "comtrade", "-r", "col", "-y", "2022", "--retries", "1",
                 "--api-url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 4
    assert result.stderr.startswith("pa-trade: error: cannot reach UN Comtrade at "
                                    f"http://127.0.0.1:{port} (connection refused)")


def test_a_call_that_times_out_is_retried(server):
    server.records = colombia([2022])
    hold = threading.Event()
    server.script(Reply(200, "{}", hold=hold))
    waits = Waits()
    try:
        flows, _ = client(server, sleep=waits, timeout=0.2).fetch_totals(["COL"], None, [2022])
    finally:
        hold.set()
    assert len(waits.asked) == 1 and len(server.seen) == 2
    assert not flows.empty


def test_answer_at_the_record_cap_is_split_until_complete(server):
    # 260 partners x 2 flows: more than the 500 records the preview sends a call
    partners = sorted({comtrade_code(c) for c in countries.all_codes()} - {None, 170})[:260]
    server.records = [record(170, p, 2022, f, 1000.0 + p, fob=900.0 + p)
                      for p in partners for f in ("X", "M")]
    flows, report = client(server).fetch_totals(["COL"], None, [2022])
    assert [s.params["flowCode"] for s in server.seen] == ["X,M", "X", "M"]
    pd.testing.assert_frame_equal(table(flows), expected_from(server.records))
    assert report.rows_read == 520  # the cut answer's 500 records are not used


def test_split_by_partner_halves_when_one_flow_is_still_cut(server):
    server.cap = 4
    server.records = [record(170, p, 2022, f, 10.0 * p, fob=9.0 * p)
                      for p in (484, 842, 152, 604, 76, 32) for f in ("X", "M")]
    asked = ["MEX", "USA", "CHL", "PER", "BRA", "ARG"]
    flows, _ = client(server, record_cap=4).fetch_totals(["COL"], asked, [2022])
    pd.testing.assert_frame_equal(table(flows), expected_from(server.records))
    asked = [(s.params["flowCode"], len(s.params["partnerCode"].split(",")))
             for s in server.seen]
    # both flows, then each flow, then each flow's partners in halves of 3
    assert asked == [("X,M", 6), ("X", 6), ("X", 3), ("X", 3), ("M", 6), ("M", 3), ("M", 3)]


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(200, '{"elapsedTime": "0.1 secs", "count": 2, "data": [{"refYear": 20'),
         "not JSON"),
        (Reply(200, "<html><body>Service Unavailable</body></html>"), "not JSON"),
        (Reply(400, '{"error": "reporterCode 170x is not valid"}'),
         "UN Comtrade: reporterCode 170x is not valid"),
        (Reply(200, '{"elapsedTime": "0", "count": 0, "data": [], "error": "Quota limit"}'),
         "UN Comtrade: Quota limit"),
        (Reply(403, '{"statusCode": 403, "message": "Out of call volume quota. Quota will be '
                    'replenished in 02:10:00."}'), "quota exhausted"),
    ],
)
def test_bad_answers_are_one_line_errors(server, run, reply, words):
    server.script(reply)
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url)
    assert result.exit_code == 4, result.stderr
    assert words in result.stderr and result.stderr.count("\n") == 1


def test_empty_answer_says_there_is_no_data(server, run):
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "1850", "--api-url", server.url)
    assert result.exit_code == ExitCode.DATA
    assert result.stderr == "pa-trade: error: UN Comtrade has no data for Colombia in 1850\n"
    assert not list(Path(AnswerCache().folder).glob("*.json"))  # empty answers are not kept


def test_one_empty_year_is_a_note_not_a_failure(server):
    server.records = colombia([2022])
    flows, report = client(server).fetch_totals(["COL"], ["MEX"], [2022, 2023])
    assert set(flows["year"]) == {2022}
    assert "no data for Colombia with Mexico in 2023" in report.notes


# -- the API key -------------------------------------------------------------------------------


def test_api_key_goes_in_the_header_and_nowhere_else(server, run):
    server.records = colombia([2022])
    home = Path(AnswerCache().folder).parents[1]
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 env={"COMTRADE_API_KEY": KEY})
    assert result.exit_code == 0, result.stderr
    assert [s.path for s in server.seen] == [KEYED_PATH]
    assert server.seen[0].headers[KEY_HEADER] == KEY
    assert KEY not in server.seen[0].path + json.dumps(server.seen[0].params)
    assert KEY not in result.stdout + result.stderr
    assert list(home.rglob("*.json")) and list(home.rglob("*.csv"))
    assert KEY not in all_text_under(home)


def test_invalid_key_is_exit_4_without_the_key(server, run):
    server.script(Reply(401, json.dumps({"statusCode": 401, "message":
                                         f"Access denied due to invalid subscription key {KEY}"})))
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--api-key", KEY)
    assert result.exit_code == 4
    assert "refused the API key (HTTP 401)" in result.stderr
    assert KEY not in result.stdout + result.stderr and "[redacted]" in result.stderr


def test_key_is_never_sent_unencrypted_to_another_host():
    with pytest.raises(UsageError, match="unencrypted") as refused:
        ComtradeClient("http://comtrade.example.org", api_key=KEY)
    assert KEY not in str(refused.value)
    assert ComtradeClient("http://localhost:8080", api_key=KEY).url_path == KEYED_PATH


def test_key_quoted_in_an_answer_is_not_cached(server, tmp_path):
    server.records = colombia([2022])
    server.records[0]["partnerDesc"] = f"echo {KEY}"
    store = AnswerCache(tmp_path / "cache")
    client(server, api_key=KEY, cache=store).fetch_totals(["COL"], None, [2022])
    assert KEY not in all_text_under(tmp_path / "cache")


# -- cache -------------------------------------------------------------------------------------


def test_cache_answers_again_and_refresh_asks_the_server(server):
    server.records = colombia()
    first, _ = client(server).fetch_totals(["COL"], None, [2021, 2022])
    assert len(server.seen) == 2
    again, report = client(server).fetch_totals(["COL"], None, [2021, 2022])
    assert len(server.seen) == 2
    assert any("2 from the cache" in note for note in report.notes)
    pd.testing.assert_frame_equal(first, again)
    client(server, refresh=True).fetch_totals(["COL"], None, [2021, 2022])
    assert len(server.seen) == 4


def test_cached_answers_older_than_max_age_are_asked_again(server):
    server.records = colombia([2022])
    then = datetime(2024, 1, 1, tzinfo=timezone.utc)
    client(server, clock=lambda: then).fetch_totals(["COL"], None, [2022])
    later = client(server, clock=lambda: then + timedelta(days=10), max_age=timedelta(days=30))
    flows, _ = later.fetch_totals(["COL"], None, [2022])
    assert len(server.seen) == 1
    assert set(flows["source"]) == {"UN Comtrade (retrieved 2024-01-01)"}
    much_later = client(server, clock=lambda: then + timedelta(days=40),
                        max_age=timedelta(days=30))
    flows, _ = much_later.fetch_totals(["COL"], None, [2022])
    assert len(server.seen) == 2
    assert set(flows["source"]) == {"UN Comtrade (retrieved 2024-02-10)"}


def test_interrupted_fetch_resumes_from_the_cache(server):
    server.records = colombia([2020, 2021, 2022])
    broken = Reply(503, "down", when=lambda p: p["period"] == "2022", times=None)
    server.script(broken)
    with pytest.raises(NetworkError) as failure:
        client(server, max_retries=1).fetch_totals(["COL"], None, [2020, 2021, 2022])
    assert failure.value.exit_code == 4
    assert server.periods_asked() == ["2020", "2021", "2022", "2022"]
    server.replies.clear()
    flows, _ = client(server).fetch_totals(["COL"], None, [2020, 2021, 2022])
    assert server.periods_asked()[4:] == ["2022"]  # only what was missing
    pd.testing.assert_frame_equal(table(flows), expected_from(server.records))


def test_cache_list_and_clear(server, run):
    server.records = colombia()
    assert run("fetch", "comtrade", "-r", "co", "-y", "2021-2022", "--api-url",
               server.url).exit_code == 0
    listing = run("cache", "list")
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["AGE", "RETRIEVED", "(UTC)", "RECORDS", "ENDPOINT", "REQUEST"]
    assert len(lines) == 4 and "reporterCode=170 period=2021 flowCode=X,M" in lines[1]
    assert lines[1].split()[1] == "s" and lines[1].split()[4] == "14"
    assert lines[-1].startswith("2 cached answers")
    assert run("cache", "clear", "--older-than", "1").stdout.startswith("removed 0 cached")
    cleared = run("cache", "clear")
    assert cleared.stdout.startswith("removed 2 cached answers")
    assert run("cache", "list").stdout.startswith("no cached answers in ")


# -- writing, and the commands that read what was written -------------------------------------


def balance_rows(run, *args) -> dict:
    result = run("balance", "colombia", "--format", "csv", *args)
    assert result.exit_code == 0, result.stderr
    return {(r["partner"], int(r["year"])): (float(r["exports_usd"]), float(r["imports_usd"]),
                                             float(r["balance_usd"]))
            for r in csv.DictReader(io.StringIO(result.stdout))}


def straight_from(records: list[dict], valuation: str = "cif", aggregates: bool = False):
    """Balances computed from the server's records, without pa-trade."""
    out: dict = {}
    for r in records:
        partner = countries.comtrade_to_iso3(r["partnerCode"])
        if countries.is_aggregate(partner) and not aggregates:
            continue
        exports, imports = out.get((partner, r["refYear"]), (0.0, 0.0))
        if r["flowCode"] == "X":
            exports += r["primaryValue"]
        else:
            imports += r["primaryValue"] if valuation == "cif" else r["fobvalue"]
        out[(partner, r["refYear"])] = (exports, imports)
    return {k: (round(x, 2), round(m, 2), round(x - m, 2)) for k, (x, m) in out.items()}


def test_fetch_then_balance_equals_the_servers_figures(server, run):
    server.records = colombia()
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2021-2022",
                 "--api-url", server.url)
    assert result.exit_code == 0, result.stderr
    written = Path(AnswerCache().folder).parents[1] / "data" / "comtrade-COL.csv"
    assert f"to {written}" in result.stdout
    assert balance_rows(run) == straight_from(server.records)
    assert balance_rows(run, "--valuation", "fob") == straight_from(server.records, "fob")
    elsewhere = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url",
                    server.url, env={"PA_TRADE_DATA": str(written)})
    assert "pa-trade: note: $PA_TRADE_DATA is set" in elsewhere.stderr
    with_totals = balance_rows(run, "--totals", "-y", "2022")
    expected = straight_from(server.records, aggregates=True)
    assert with_totals[("WLD", 2022)] == expected[("WLD", 2022)]
    assert with_totals[("XEU", 2022)] == expected[("XEU", 2022)]


def test_overlapping_fetches_merge_into_one_file(server, run):
    server.records = colombia([2020, 2021])
    env = {"PA_TRADE_COMTRADE_URL": server.url}
    assert run("fetch", "comtrade", "-r", "col", "-y", "2020-2021", env=env).exit_code == 0
    # Comtrade revises 2021 and publishes 2022; --refresh, or the cache answers for 2021
    server.records = [r for r in colombia([2020, 2021, 2022]) if r["refYear"] != 2020]
    for r in server.records:
        r["primaryValue"] += 1000
    second = run("fetch", "comtrade", "-r", "col", "-y", "2021-2022", "--refresh", env=env)
    assert second.exit_code == 0, second.stderr
    assert "replaced" in second.stdout
    folder = Path(AnswerCache().folder).parents[1] / "data"
    assert [p.name for p in folder.iterdir()] == ["comtrade-COL.csv"]
    balances = balance_rows(run)
    assert balances == straight_from(colombia([2020]) + server.records)
    # a fetch for one partner replaces that partner only
    server.records = [r for r in server.records if r["partnerCode"] == 484]
    for r in server.records:
        r["primaryValue"] += 5
    third = run("fetch", "comtrade", "-r", "col", "-p", "mexico", "-y", "2022", "--refresh",
                env=env)
    assert third.exit_code == 0, third.stderr
    after = balance_rows(run, "-y", "2022")
    assert after[("MEX", 2022)][0] == balances[("MEX", 2022)][0] + 5
    assert after[("USA", 2022)] == balances[("USA", 2022)]


def test_out_file_and_stdout(server, run, tmp_path):
    server.records = colombia([2022])
    out = tmp_path / "colombia.csv"
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "-o", str(out),
                 "--api-url", server.url)
    assert result.stdout == f"wrote 21 flows to {out}\n"
    assert not (Path(AnswerCache().folder).parents[1] / "data").exists()
    piped = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "-o", "-", "-q",
                "--api-url", server.url)
    assert piped.stdout == out.read_text(encoding="utf-8")
    assert piped.stdout.startswith("reporter,partner,year,flow,value_usd,valuation,source\n")
    assert "COL,MEX,2022,export,1500000002.5,FOB,UN Comtrade (retrieved " in piped.stdout
    flows_back = run("flows", "-d", str(out))
    assert flows_back.stdout == out.read_text(encoding="utf-8")


def test_reporters_and_partners_in_any_form(server, run):
    server.records = colombia([2022]) + [record(484, 170, 2022, "X", 5.0)]
    result = run("fetch", "comtrade", "-r", "Colombia", "-r", "méxico", "-p", "pa", "-p",
                 "Estados Unidos", "-p", "world", "-y", "2022", "--api-url", server.url)
    assert result.exit_code == 0, result.stderr
    asked = {(s.params["reporterCode"], s.params.get("partnerCode")) for s in server.seen}
    assert asked == {("170", "152,170,484,604,842,0"), ("484", "152,170,484,604,842,0")}
    assert "comtrade-COL.csv" in result.stdout and "comtrade-MEX.csv" in result.stdout
    unknown = run("fetch", "comtrade", "-r", "Nuevo Mexico", "-y", "2022", "--api-url",
                  server.url)
    assert unknown.exit_code == 2 and "did you mean Mexico (MEX)?" in unknown.stderr


def test_progress_bar_only_on_a_terminal(server, run):
    server.records = colombia()
    result = run("fetch", "comtrade", "-r", "col", "-y", "2021-2022", "--api-url", server.url)
    assert "fetching [" not in result.stderr  # CliRunner's stderr is no terminal
    screen = io.StringIO()
    bar = ProgressBar(screen, width=10)
    bar.update(1, 4, "Colombia 2021")
    bar.update(4, 4, "Colombia 2022")
    bar.close()
    assert screen.getvalue().startswith("\rfetching [##........] 1/4 Colombia 2021")
    assert "\rfetching [##########] 4/4 Colombia 2022" in screen.getvalue()
    assert screen.getvalue().endswith("\r")
    assert [format_age(s) for s in (5, 125, 7300, 200000)] == ["5 s", "2 min", "2 h", "2 d"]



def test_out_in_a_folder_that_is_a_file_or_missing_fails_before_asking(server, run, tmp_path):
    server.records = colombia([2022])
    a_file = tmp_path / "file.csv"
    a_file.write_text("not a folder\n", encoding="utf-8")
    missing = tmp_path / "nonexistent"
    for out, words in ((a_file / "x.csv", f"{a_file} is a file, not a folder"),
                       (missing / "x.csv", f"no folder {missing}"),
                       (tmp_path, "is a folder; name a file")):
        result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url",
                     server.url, "--out", str(out))
        assert result.exit_code == ExitCode.INPUT == 3, result.stderr
        assert result.stderr.startswith(f"pa-trade: error: --out {out}: ")
        assert words in result.stderr and result.stderr.count("\n") == 1
        assert "internal error" not in result.stderr
    assert not missing.exists()  # an explicit --out never creates folders
    assert server.seen == []  # nothing was asked of the server
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"


def test_a_failed_write_is_one_line_and_leaves_no_partial_file(tmp_path):
    from pa_trade.errors import InputError
    from pa_trade.fetch.store import write_flows

    a_file = tmp_path / "file.csv"
    a_file.write_text("x\n", encoding="utf-8")
    frame = expected_from(colombia([2022])).assign(source="test")
    with pytest.raises(InputError, match="cannot write"):
        write_flows(frame, a_file / "x.csv")
    with pytest.raises(InputError, match="cannot write"):
        write_flows(frame, tmp_path / "missing" / "x.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.csv"]


def test_records_of_another_reporter_are_refused_and_not_stored(server, run):
    colombias = colombia([2022])
    # the server answers a question about Chile with Colombia's records
    server.script(Reply(200, json.dumps({"count": len(colombias), "data": colombias,
                                         "error": ""}),
                        when=lambda p: p["reporterCode"] == "152", times=None))
    server.records = colombias
    first = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url)
    assert first.exit_code == 0, first.stderr
    folder = Path(AnswerCache().folder).parents[1] / "data"
    before = (folder / "comtrade-COL.csv").read_text(encoding="utf-8")
    cached = sorted(p.name for p in Path(AnswerCache().folder).glob("*.json"))
    result = run("fetch", "comtrade", "-r", "chile", "-y", "2022", "--api-url", server.url)
    assert result.exit_code == ExitCode.DATA == 1
    assert result.stderr == ("pa-trade: error: UN Comtrade answered the request for Chile 2022 "
                             "with records of Colombia (reporterCode 170); nothing was "
                             "written\n")
    assert result.stdout == ""
    assert (folder / "comtrade-COL.csv").read_text(encoding="utf-8") == before
    assert not (folder / "comtrade-CHL.csv").exists()
    assert sorted(p.name for p in Path(AnswerCache().folder).glob("*.json")) == cached
    with pytest.raises(DataError, match="with records of Colombia"):
        client(server).fetch_totals(["CHL"], ["MEX"], [2022])


def test_records_of_another_year_are_refused_and_not_stored(server, run):
    earlier = colombia([2021])
    # the server answers a question about 2022 with 2021's records
    server.script(Reply(200, json.dumps({"count": len(earlier), "data": earlier, "error": ""}),
                        when=lambda p: p["period"] == "2022", times=None))
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url)
    assert result.exit_code == ExitCode.DATA == 1
    assert result.stderr == ("pa-trade: error: UN Comtrade answered the request for Colombia "
                             "2022 with records of 2021; nothing was written\n")
    folder = Path(AnswerCache().folder).parents[1] / "data"
    assert not (folder / "comtrade-COL.csv").exists()
    assert list(Path(AnswerCache().folder).glob("*.json")) == []
