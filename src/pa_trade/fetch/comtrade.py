"""UN Comtrade API v1: annual totals by partner, as canonical flows (formats.md §6).

`ComtradeClient.fetch_totals` asks one question per reporter and year (splitting it further
when an answer reaches the 500-record cap of the preview), waits out rate limits, retries
server errors with backoff, keeps every raw answer in the cache and converts the records:
`to_flows` keeps the totals (cmdCode TOTAL, partner2Code 0, customsCode C00, motCode 0) and
accounts for every other record in the load report. At `level="chapter"` the question is
cmdCode AG2 (every HS chapter) and each record becomes flows with hs_code = its chapter.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pa_trade.errors import DataError, NetworkError, UsageError
from pa_trade.fetch.cache import AnswerCache, public_server
from pa_trade.fetch.codes import comtrade_code
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries

if TYPE_CHECKING:
    import pandas as pd
    import requests

DEFAULT_URL = "https://comtradeapi.un.org"
PREVIEW_PATH = "/public/v1/preview/C/A/HS"
KEYED_PATH = "/data/v1/get/C/A/HS"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
RECORD_CAP = 500  # the preview answers at most this many records a call
MAX_ANSWER_BYTES = 100 * 1024 * 1024  # the largest answer accepted (--max-answer)
DEFAULT_TIMEOUT = 120.0  # seconds one call may take, connecting to the last byte (--timeout)
DEFAULT_DEADLINE = 3600.0  # seconds a whole fetch may take, waits included (--deadline)
MAX_REDIRECTS = 5
SOURCE = "UN Comtrade (retrieved {date})"

# What keeps a record a total: every product, no second partner, all customs procedures,
# all modes of transport (formats.md §6).
TOTAL_FILTER = {"cmdCode": "TOTAL", "partner2Code": 0, "customsCode": "C00", "motCode": 0}
# What Comtrade calls each product level pa-trade asks for: all products, or every HS chapter
LEVEL_CODES = {"total": "TOTAL", "chapter": "AG2"}

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Query:
    """One call: a reporter's totals in one year, for some flows and partners (None: all)."""

    reporter: int
    year: int
    flow_codes: str = "X,M"
    partners: tuple[int, ...] | None = None
    level: str = "total"  # or "chapter": every HS chapter (cmdCode AG2)

    def params(self) -> dict[str, str]:
        """The query string of the call (without any key)."""
        params = {
            "reporterCode": str(self.reporter),
            "period": str(self.year),
            "cmdCode": LEVEL_CODES[self.level],
            "flowCode": self.flow_codes,
            "partner2Code": "0",
            "customsCode": "C00",
            "motCode": "0",
            "includeDesc": "true",
        }
        if self.partners is not None:
            params["partnerCode"] = ",".join(str(p) for p in self.partners)
        return params

    def describe(self) -> str:
        """In words: 'Colombia 2022', 'Colombia 2022 exports with 3 partners'."""
        text = f"{_area_name(self.reporter)} {self.year}"
        if self.level == "chapter":
            text += " by chapter"
        if self.flow_codes == "X":
            text += " exports"
        elif self.flow_codes == "M":
            text += " imports"
        if self.partners is not None:
            if len(self.partners) == 1:
                text += f" with {_area_name(self.partners[0])}"
            else:
                text += f" with {len(self.partners)} partners"
        return text

    def split(self, every_partner: tuple[int, ...]) -> list[Query]:
        """Smaller calls that together ask the same: by flow, then by halves of the partners.

        Asking "every partner" in halves needs a list of partners: `every_partner`.
        """
        if "," in self.flow_codes:
            return [Query(self.reporter, self.year, code, self.partners, self.level)
                    for code in self.flow_codes.split(",")]
        partners = self.partners if self.partners is not None else every_partner
        if len(partners) < 2:
            return []
        middle = len(partners) // 2
        return [Query(self.reporter, self.year, self.flow_codes, partners[:middle], self.level),
                Query(self.reporter, self.year, self.flow_codes, partners[middle:], self.level)]


@dataclass(frozen=True)
class Answer:
    """The records of one call and when they were retrieved from the server."""

    records: list[dict]
    retrieved: datetime
    from_cache: bool = False
    capped: bool = False  # the server held more than it sent: ask again in smaller calls
    count: int | None = None  # how many records the server says it holds



def _count(document: dict) -> int | None:
    count = document.get("count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


@dataclass
class FetchStats:
    """What a fetch cost: calls answered by the server, by the cache, and waits."""

    from_server: int = 0
    from_cache: int = 0
    oldest_cached: datetime | None = None
    waits_seconds: list[float] = field(default_factory=list)


class ComtradeClient:
    """A client of the UN Comtrade API v1 for annual totals by partner.

    `base_url`: the server (default the UN's; a mirror or a test server). With `api_key`,
    the keyed endpoint is used and the key goes only into the `Ocp-Apim-Subscription-Key`
    header, only to that server (a redirect elsewhere is refused) and never over plain HTTP
    except to this machine; every text the server sends is cleared of the key before it is
    shown, cached or converted. `timeout`: seconds one call may take as a whole, from
    connecting to the last byte of the answer (a `(connect, total)` pair sets the connect
    timeout too). `deadline`: seconds the whole fetch may take, every call, retry and wait
    included (None: no limit). `max_answer_bytes`: an answer larger than this is refused,
    never cached. `max_retries`: extra tries after a server error (5xx), a connection
    error, a call that timed out or a rate limit (429).
    `sleep` waits (injected by tests). `cache`: an AnswerCache, or None for none.
    `refresh`: ask the server even when the cache has the answer. `max_age`: cached answers
    older than this are asked again. `max_wait`: the longest a rate limit is waited out.
    `record_cap`: the most records the server sends a call (an answer that reaches it is
    asked again in smaller calls).
    `progress(done, total, label)` is called after every call.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        api_key: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = 4,
        sleep: Callable[[float], None] | None = None,
        cache: AnswerCache | None = None,
        refresh: bool = False,
        max_age: timedelta | None = None,
        max_wait: float = 120.0,
        backoff_seconds: float = 1.0,
        record_cap: int = RECORD_CAP,
        progress: Progress | None = None,
        clock: Callable[[], datetime] | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise UsageError(f"--api-url {public_server(base_url)!r}: expected an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.server = public_server(self.base_url)
        self.api_key = (api_key or "").strip() or None
        self._secret = _secret_pattern(self.api_key)
        if self.api_key and base_url.startswith("http://") and not _loopback(self.base_url):
            raise UsageError(f"--api-url {self.server}: the API key would travel unencrypted; "
                             f"use an https:// address")
        self._session = session
        if isinstance(timeout, tuple):
            self.connect_timeout, self.timeout = float(timeout[0]), float(timeout[1])
        else:
            self.timeout = float(timeout)
            self.connect_timeout = min(10.0, self.timeout)
        self.deadline = deadline
        self.max_answer_bytes = max_answer_bytes
        self.max_retries = max_retries
        self.sleep = sleep if sleep is not None else time.sleep
        self.cache = cache
        self.refresh = refresh
        self.max_age = max_age
        self.max_wait = max_wait
        self.backoff_seconds = backoff_seconds
        self.record_cap = record_cap
        self.progress = progress
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.stats = FetchStats()
        self._done = 0
        self._total = 0
        self._ends_at: float | None = None  # time.monotonic() when the fetch's deadline passes

    @property
    def url_path(self) -> str:
        """The preview without a key, the full data endpoint with one."""
        return KEYED_PATH if self.api_key else PREVIEW_PATH

    def session(self) -> requests.Session:
        """The requests session of every call (made on first use: requests loads late).

        For a server on this machine, proxies and other settings from the environment are
        ignored: a proxy would see the key in plain HTTP."""
        if self._session is None:
            from pa_trade.fetch import transport

            self._session = transport.new_session(trust_env=not _loopback(self.base_url))
        return self._session

    # -- the question an analyst asks ------------------------------------------------------

    def fetch_totals(
        self,
        reporters: list[str],
        partners: list[str] | None,
        years: list[int],
        level: str = "total",
    ) -> tuple[pd.DataFrame, LoadReport]:
        """Annual total exports and imports of `reporters` (ISO3) with `partners` (ISO3 or
        aggregate codes such as WLD; None: every partner, the World and aggregates included)
        in `years` -> (canonical flows, load report). `level="chapter"`: per HS chapter
        (cmdCode AG2), each flow with its chapter as hs_code.

        Raises DataError when UN Comtrade has no data at all for the question, NetworkError
        when the server cannot be reached or refuses.
        """
        reporter_codes = [_code_for(r, "--reporter") for r in reporters]
        partner_codes = (
            None if partners is None
            else tuple(dict.fromkeys(_code_for(p, "--partner") for p in partners))
        )
        if level not in LEVEL_CODES:
            raise UsageError(f"unknown Comtrade level {level!r}; expected total or chapter")
        queries = [Query(r, y, "X,M", partner_codes, level)
                   for r in dict.fromkeys(reporter_codes) for y in sorted(set(years))]
        self._done, self._total = 0, len(queries)
        self._start_deadline()
        report = LoadReport("UN Comtrade", "comtrade-api")
        answers: list[Answer] = []
        empty_years: dict[int, list[int]] = {}
        for query in queries:
            got = self.collect(query, report)
            if not any(a.records for a in got):
                empty_years.setdefault(query.reporter, []).append(query.year)
            answers.extend(got)
        for reporter, missing in empty_years.items():
            asked = "" if partner_codes is None else " with " + (
                _area_name(partner_codes[0]) if len(partner_codes) == 1
                else f"{len(partner_codes)} partners")
            report.notes.append(f"no data for {_area_name(reporter)}{asked} in {_years(missing)}")
        flows = to_flows(answers, report, level)
        if flows.empty and report.rows_read == 0:
            raise DataError(_no_data_message(reporters, partners, years))
        report.notes.append(self._cost_note())
        return flows, report

    def collect(self, query: Query, report: LoadReport | None = None) -> list[Answer]:
        """The answers to a query, split into smaller calls until none reaches the cap."""
        answer = self.answer(query)
        self._done += 1
        if self.progress:
            self.progress(self._done, self._total, query.describe())
        if not answer.capped:
            return [answer]
        parts = query.split(_every_partner())
        if not parts:
            if len(answer.records) >= self.record_cap:
                cut = f"stops at its cap of {self.record_cap} records"
            else:  # the server's count says it held more than it sent
                cut = (f"says it holds {answer.count:,} records but sent "
                       f"{len(answer.records):,}")
            raise DataError(
                f"UN Comtrade's answer for {query.describe()} {cut} and cannot be split "
                f"further"
            )
        if report is not None and query.partners is None and "," not in query.flow_codes:
            report.notes.append(
                f"{query.describe()}: asked again partner by partner group; areas missing "
                f"from pa-trade's country table cannot be asked for separately"
            )
        self._total += len(parts)
        return [a for part in parts for a in self.collect(part, report)]

    # -- one call, from the cache or the server --------------------------------------------

    def answer(self, query: Query) -> Answer:
        """The records of one call: from the cache when it has them (unless `refresh`)."""
        params = query.params()
        if self.cache is not None and not self.refresh:
            cached = self.cache.get(self.server, self.url_path, params, self.max_age,
                                    now=self.clock())
            if cached is not None and cached.answer is not None:
                self.stats.from_cache += 1
                if self.stats.oldest_cached is None or cached.retrieved < self.stats.oldest_cached:
                    self.stats.oldest_cached = cached.retrieved
                document = self._scrub(cached.answer)
                records = self._records(document, query)
                return Answer(records, cached.retrieved, True, self._capped(document),
                              _count(document))
        document = self.request(params, query.describe())
        retrieved = self.clock()
        records = self._records(document, query)
        self.stats.from_server += 1
        if self.cache is not None and records:
            # empty answers are not kept: the next fetch asks again, in case data arrived
            self.cache.put(self.server, self.url_path, params, document, retrieved,
                           secrets=self._secrets())
        return Answer(records, retrieved, False, self._capped(document), _count(document))

    def request(self, params: dict[str, str], what: str) -> dict:
        """GET the endpoint with `params` -> the decoded JSON answer, cleared of the key.

        Waits out 429s (the time the answer names, else Retry-After, else backoff), retries
        5xx, connection errors and calls that time out with exponential backoff and jitter:
        `max_retries` retries in all, then NetworkError with one line saying why it gave up.
        NetworkError at once for an answer over `max_answer_bytes`, a redirect the key may
        not follow, or the fetch's deadline.
        """
        import requests

        from pa_trade.fetch import transport

        if self._ends_at is None:
            self._start_deadline()
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers[KEY_HEADER] = self.api_key
        failures = 0
        while True:
            try:
                reply = self._get(self.base_url + self.url_path, params, headers, what)
            except transport.AnswerTooLarge as exc:
                size = f" ({_megabytes(exc.declared)} announced)" if exc.declared else ""
                raise NetworkError(
                    f"UN Comtrade's answer for {what} is larger than {_megabytes(exc.limit)}"
                    f"{size}, the most pa-trade accepts (--max-answer); nothing of it was kept: "
                    f"ask for fewer partners at a time, or raise --max-answer"
                ) from None
            except (transport.CallTimeout, requests.RequestException, OSError) as exc:
                self._check_deadline(what)
                failures += 1
                if failures > self.max_retries:
                    why = (f"no complete answer within {self.timeout:g} s"
                           if isinstance(exc, transport.CallTimeout) else _reason(exc))
                    raise NetworkError(
                        f"cannot reach UN Comtrade at {self.server} ({why}) for "
                        f"{what}, {failures} tries; check the connection or --api-url"
                    ) from None
                self._wait(self._backoff(failures), what)
                continue
            status = reply.status_code
            said = self._redact(reply.text)
            if status == 429:
                failures += 1
                wait = _rate_limit_wait(said, reply.headers)
                if failures > self.max_retries or (wait or 0) > self.max_wait:
                    named = f", and asks to wait {wait:g} s" if wait else ""
                    raise NetworkError(
                        f"UN Comtrade refuses too many requests (HTTP 429) for {what} after "
                        f"{failures} tries{named}; try again later"
                    )
                self._wait(wait if wait is not None else self._backoff(failures), what)
                continue
            if status >= 500:
                failures += 1
                if failures > self.max_retries:
                    raise NetworkError(
                        f"UN Comtrade failed with HTTP {status} for {what}, {failures} tries; "
                        f"try again later"
                    )
                self._wait(self._backoff(failures), what)
                continue
            if status >= 400:
                raise NetworkError(self._refusal(status, _server_message(said), what))
            if 300 <= status < 400:
                raise NetworkError(f"UN Comtrade at {self.server} answered the request for "
                                   f"{what} with HTTP {status} and no address to go to")
            return self._decode(reply.text, what)

    def _get(self, url: str, params: dict[str, str], headers: dict[str, str], what: str):
        """One call, following redirects the key may follow -> transport.Reply."""
        from urllib.parse import urljoin

        from pa_trade.fetch import transport

        asked: dict[str, str] | None = params
        for _ in range(MAX_REDIRECTS + 1):
            reply = transport.get(self.session(), url, params=asked, headers=headers,
                                  deadline=self._call_deadline(what),
                                  connect_timeout=self.connect_timeout,
                                  max_bytes=self.max_answer_bytes)
            location = reply.headers.get("Location")
            if reply.status_code not in transport.REDIRECT_STATUSES or not location:
                return reply
            url, asked = urljoin(reply.url, location.strip()), None  # the address has the query
            self._check_redirect(url, what)
        raise NetworkError(f"UN Comtrade at {self.server} redirected the request for {what} "
                           f"more than {MAX_REDIRECTS} times")

    def _check_redirect(self, target: str, what: str) -> None:
        """NetworkError unless a redirect to `target` may be followed: with a key, only to the
        server configured (the key is meant for it alone); never to anything but http(s)."""
        from urllib.parse import urlsplit

        where = self._redact(_origin_text(target))
        if urlsplit(target).scheme not in ("http", "https"):
            raise NetworkError(f"UN Comtrade at {self.server} redirected the request for {what} "
                               f"to {where!r}, which is not an http(s) address")
        if self.api_key and _origin(target) != _origin(self.base_url):
            raise NetworkError(
                f"UN Comtrade at {self.server} redirected the request for {what} to another "
                f"server ({where}); not followed, so that the API key goes to no other server "
                f"(if you trust it, give it as --api-url)"
            )

    # -- deadlines -------------------------------------------------------------------------

    def _start_deadline(self) -> None:
        self._ends_at = None if self.deadline is None else time.monotonic() + self.deadline

    def _call_deadline(self, what: str) -> float:
        """When the next call must be over: its own timeout, or the fetch's deadline."""
        self._check_deadline(what)
        ends = time.monotonic() + self.timeout
        return ends if self._ends_at is None else min(ends, self._ends_at)

    def _check_deadline(self, what: str, wait: float = 0.0) -> None:
        if self._ends_at is not None and time.monotonic() + wait >= self._ends_at:
            waiting = f" (waiting {wait:g} s more would pass it)" if wait else ""
            raise NetworkError(
                f"the fetch reached its deadline of {self.deadline:g} s (--deadline) at "
                f"{what}{waiting}; what was received is cached: run the same command again to "
                f"go on"
            )

    # -- pieces ----------------------------------------------------------------------------

    def _wait(self, seconds: float, what: str = "") -> None:
        self._check_deadline(what, seconds)  # a wait past the deadline fails now, not later
        self.stats.waits_seconds.append(seconds)
        self.sleep(seconds)

    def _backoff(self, failures: int) -> float:
        """1, 2, 4, 8... times the base, up to 60 s, with jitter so clients do not march."""
        step = min(60.0, self.backoff_seconds * 2 ** (failures - 1))
        return step * (0.5 + random.random() / 2)

    def _secrets(self) -> tuple[str, ...]:
        return (self.api_key,) if self.api_key else ()

    def _redact(self, text: str) -> str:
        """`text` with the key (in any case, or URL-encoded) replaced by [redacted]."""
        return text if self._secret is None else self._secret.sub("[redacted]", text)

    def _scrub(self, value):
        """A decoded answer with the key redacted from every text in it (names and values):
        what the server echoes reaches no report, message, file nor cache."""
        if self._secret is None:
            return value
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, dict):
            return {self._scrub(k): self._scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) \
                and self._secret.search(str(value)):
            return "[redacted]"  # a key of digits echoed as a number
        return value

    def _refusal(self, status: int, message: str, what: str) -> str:
        said = f": {self._redact(message)}" if message else ""
        if status == 403 and "quota" in message.lower():
            return f"UN Comtrade quota exhausted (HTTP 403){said}"
        if status in (401, 403):
            if self.api_key:
                return (f"UN Comtrade refused the API key (HTTP {status}){said}; check "
                        f"--api-key or COMTRADE_API_KEY")
            return f"UN Comtrade refused the request (HTTP {status}){said}"
        if message:
            return f"UN Comtrade: {self._redact(message)} (HTTP {status}, {what})"
        return f"UN Comtrade refused the request for {what} (HTTP {status})"

    def _decode(self, text: str, what: str) -> dict:
        try:
            document = json.loads(text)
        except ValueError:
            start = " ".join(self._redact(text)[:60].split())
            raise NetworkError(
                f"UN Comtrade sent an answer that is not JSON for {what} "
                f"(starts {start!r})"
            ) from None
        if not isinstance(document, dict):
            raise NetworkError(f"UN Comtrade sent an answer that is not a Comtrade answer "
                               f"for {what} (a JSON {type(document).__name__})")
        document = self._scrub(document)
        error = document.get("error")
        if error:
            raise NetworkError(f"UN Comtrade: {self._redact(str(error))} ({what})")
        return document

    def _records(self, document: dict, query: Query) -> list[dict]:
        data = document.get("data")
        if data is None:
            data = []
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise NetworkError(f"UN Comtrade sent an answer without a list of records for "
                               f"{query.describe()}")
        _check_answer(data, query)
        return data

    def _capped(self, document: dict) -> bool:
        """True when an answer is cut: it reaches the cap, or its count exceeds what it sent."""
        sent = len(document.get("data") or [])
        count = document.get("count")
        return sent >= self.record_cap or (isinstance(count, int) and count > sent)

    def _cost_note(self) -> str:
        stats = self.stats
        calls = stats.from_server + stats.from_cache
        text = f"{calls} call{'s' if calls != 1 else ''}: {stats.from_server} to {self.server}"
        if stats.from_cache:
            oldest = stats.oldest_cached.date().isoformat() if stats.oldest_cached else "?"
            text += f", {stats.from_cache} from the cache (oldest retrieved {oldest})"
        if stats.waits_seconds:
            text += f"; waited {sum(stats.waits_seconds):.0f} s for the server"
        return text


def _check_answer(records: list[dict], query: Query) -> None:
    """DataError when a record is another reporter's or another year's than the one asked for:
    stored, it would replace that country's or that year's figures. Checked before an answer
    is cached or converted."""
    asked = countries.comtrade_to_iso3(query.reporter)
    for record in records:
        year = _int(record.get("refYear"))
        if year is None:
            year = _int(str(record.get("period", ""))[:4])
        if year is not None and year != query.year:
            raise DataError(f"UN Comtrade answered the request for {query.describe()} with "
                            f"records of {year}; nothing was written")
        code = _int(record.get("reporterCode"))
        if code is None or code == query.reporter:
            continue  # no code: set aside as an unknown reporter when converted
        if asked is not None and countries.comtrade_to_iso3(code) == asked:
            continue  # another Comtrade code of the same country (e.g. France 250 and 251)
        raise DataError(
            f"UN Comtrade answered the request for {query.describe()} with records of "
            f"{_area_name(code)} (reporterCode {code}); nothing was written"
        )


# -- conversion ----------------------------------------------------------------------------


def to_flows(answers: Iterable[Answer], report: LoadReport, level: str = "total"
             ) -> pd.DataFrame:
    """Canonical flows from the records of Comtrade answers; every record is counted in
    `report`: converted (rows_used) or set aside with its reason.

    Exports (X) are FOB `primaryValue`. Imports (M) are CIF `primaryValue`, plus a FOB flow
    from `fobvalue` when the record has it; when the reporter records imports FOB only
    (no `cifvalue`, `primaryValue` equal to `fobvalue`), one FOB flow. Partner 0 is WLD;
    group areas map to their aggregate codes (97 -> XEU). Source: "UN Comtrade (retrieved
    DATE)", the date the server sent the record. `level="chapter"`: the records are HS
    chapters (cmdCode '01'..'99'), kept with hs_code = the 2-digit chapter, as text.
    """
    import pandas as pd

    from pa_trade import flows as flow_table

    rows: list[dict] = []
    seen: dict[tuple, dict[int | None, int]] = {}  # cell -> {Comtrade partner code: record}
    record_number = 0
    for answer in answers:
        source = SOURCE.format(date=answer.retrieved.date().isoformat())
        for record in answer.records:
            record_number += 1
            report.rows_read += 1
            converted = _convert(record, record_number, source, report, level)
            if converted is None:
                continue
            cell = _cell(converted[0])
            partner_code = _int(record.get("partnerCode"))
            if cell in seen:
                _second_record(cell, partner_code, seen[cell], record_number, rows, converted,
                               report)
                continue
            seen[cell] = {partner_code: record_number}
            rows.extend(converted)
            report.rows_used += 1
    frame = pd.DataFrame(rows) if rows else None
    # several "areas nes" codes of one cell add up to XNS
    return flow_table.aggregate(frame)


def _cell(row: dict) -> tuple:
    """What one record speaks for: reporter, partner, year, flow and product."""
    return row["reporter"], row["partner"], row["year"], row["flow"], row.get("hs_code")


def _convert(record: dict, number: int, source: str, report: LoadReport,
             level: str = "total") -> list[dict] | None:
    """The flows of one record, or None after setting it aside in the report."""
    if not record:
        report.add(number, "bad-field", "an empty record")
        return None
    hs_code = None
    if level == "chapter":
        # a chapter is two digits as text: "09", never 9 (a number in the JSON is padded)
        command = str(record.get("cmdCode", "")).strip()
        command = command.zfill(2) if command.isdigit() and len(command) == 1 else command
        if not (len(command) == 2 and command.isdigit()):
            report.add(number, "not-a-chapter",
                       f"cmdCode {record.get('cmdCode')!r}, not a 2-digit HS chapter")
            return None
        hs_code = command
    for column, wanted in TOTAL_FILTER.items():
        if column == "cmdCode" and level == "chapter":
            continue
        value = record.get(column)
        same = (_int(value) == wanted if isinstance(wanted, int)
                else str(value).strip().upper() == wanted)
        if not same:
            report.add(number, "not-a-total", f"{column} {value!r}, not {wanted!r}")
            return None
    reporter = countries.comtrade_to_iso3(_text(record.get("reporterCode")))
    if reporter is None:
        report.add(number, "unknown-country", _area_detail(record, "reporter"))
        return None
    partner = countries.comtrade_to_iso3(_text(record.get("partnerCode")))
    if partner is None:
        report.add(number, "unknown-country", _area_detail(record, "partner"))
        return None
    year = _int(record.get("refYear"))
    if year is None:
        year = _int(str(record.get("period", ""))[:4])
    if year is None:
        report.add(number, "bad-field", f"refYear {record.get('refYear')!r}")
        return None
    flow_code = str(record.get("flowCode", "")).strip().upper()
    if flow_code not in ("X", "M"):
        report.add(number, "bad-field", f"flowCode {record.get('flowCode')!r} (expected X or M)")
        return None
    primary = _money(record.get("primaryValue"))
    if primary is None:
        report.add(number, "missing-value", "primaryValue empty")
        return None
    base = {"reporter": reporter, "partner": partner, "year": year, "source": source,
            "hs_code": hs_code}
    if flow_code == "X":
        return [{**base, "flow": "export", "value_usd": primary, "valuation": "FOB"}]
    fob, cif = _money(record.get("fobvalue")), _money(record.get("cifvalue"))
    if cif is None and fob is not None and fob == primary:
        return [{**base, "flow": "import", "value_usd": primary, "valuation": "FOB"}]
    out = [{**base, "flow": "import", "value_usd": primary, "valuation": "CIF"}]
    if fob is not None:
        out.append({**base, "flow": "import", "value_usd": fob, "valuation": "FOB"})
    return out


def _second_record(cell, partner_code, codes, number, rows, converted, report) -> None:
    """Another record for a reporter, partner, year and flow already converted.

    The same Comtrade area again is a repeat. Two codes of one country (250 and 251 for
    France) are nested areas: adding them would count trade twice, so the current code wins.
    Unspecified areas ("..., nes" -> XNS) are distinct and add up.
    """
    partner = cell[1]
    if partner_code in codes:
        report.add(number, "duplicate-record", f"same as record {codes[partner_code]}")
        return
    if countries.kind(partner) == "other":
        codes[partner_code] = number
        rows.extend(converted)
        report.rows_used += 1
        return
    (kept_code, kept_number), = codes.items()
    if partner_code == comtrade_code(partner):
        # the newcomer has the current code: it takes the place of the earlier record
        rows[:] = [r for r in rows if _cell(r) != cell] + converted
        codes.clear()
        codes[partner_code] = number
        report.add(kept_number, "duplicate-area",
                   f"Comtrade {kept_code} and {partner_code} are both {partner}; "
                   f"kept {partner_code}")
        return
    report.add(number, "duplicate-area",
               f"Comtrade {kept_code} and {partner_code} are both {partner}; kept {kept_code}")


def _area_detail(record: dict, side: str) -> str:
    code = record.get(f"{side}Code")
    label = record.get(f"{side}Desc") or record.get(f"{side}ISO") or ""
    return f"Comtrade {side} code {code}" + (f" {label!r}" if label else "")


def _text(value) -> str:
    return "" if value is None else str(value)


def _int(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _money(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is no figure


# -- helpers -------------------------------------------------------------------------------


def _code_for(iso3: str, option: str) -> int:
    code = comtrade_code(iso3)
    if code is None:
        raise UsageError(f"{option}: UN Comtrade has no area code for "
                         f"{countries.name(iso3)} ({iso3})")
    return code


def _loopback(server: str) -> bool:
    """True for an address on this machine: localhost, 127.0.0.0/8, ::1."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(server).hostname or "").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the port filled in: what a key is bound to."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme, 0)
    return scheme, (parts.hostname or "").rstrip(".").lower(), port


def _secret_pattern(key: str | None) -> re.Pattern | None:
    """What finds the key in a text the server sent: as given, in any case, URL-encoded."""
    if not key:
        return None
    from urllib.parse import quote

    forms = {key, quote(key, safe=""), quote(key)}
    return re.compile("|".join(re.escape(form) for form in sorted(forms, key=len,
                                                                  reverse=True)),
                      re.IGNORECASE)


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:,.0f} MB" if value >= 10 else f"{value:.3g} MB"


def _origin_text(url: str) -> str:
    """scheme://host:port of a URL, for messages (no path, query or credentials)."""
    origin = _origin(url)
    if origin is None:
        return url[:80]
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}"


def _area_name(code: int) -> str:
    iso3 = countries.comtrade_to_iso3(code)
    return countries.name(iso3) if iso3 else f"Comtrade area {code}"


def _every_partner() -> tuple[int, ...]:
    """Every area code pa-trade knows how to ask for, to split an 'every partner' call."""
    from pa_trade.fetch.codes import _codes

    return tuple(sorted(set(_codes().values())))


def _no_data_message(reporters: list[str], partners: list[str] | None, years: list[int]) -> str:
    who = _and([countries.name(r) for r in reporters])
    with_whom = f" with {_and([countries.name(p) for p in partners])}" if partners else ""
    return f"UN Comtrade has no data for {who}{with_whom} in {_years(years)}"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _years(years: list[int]) -> str:
    values = sorted(set(years))
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return _and([str(y) for y in values])


_TRY_AGAIN = re.compile(r"try again in\s+(\d+(?:\.\d+)?)\s*sec", re.IGNORECASE)


def _rate_limit_wait(text: str, headers) -> float | None:
    """Seconds a 429 asks to wait: "Try again in N seconds" in the body, else Retry-After."""
    found = _TRY_AGAIN.search(text or "")
    if found:
        return float(found.group(1))
    header = (headers.get("Retry-After") or "").strip()
    if header.replace(".", "", 1).isdigit():
        return float(header)
    return None


def _server_message(text: str) -> str:
    """The server's own words about a refusal, on one line: JSON error/message, else text."""
    text = text or ""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for key in ("error", "message", "Message", "detail", "title"):
            if document.get(key):
                text = str(document[key])
                break
    text = " ".join(text.split())
    if text.lstrip().startswith("<"):
        return ""  # an HTML error page says nothing a user can act on
    return text if len(text) <= 200 else text[:197] + "..."


def _reason(exc: Exception) -> str:
    """A short reason for a connection failure, without the URL requests puts in messages."""
    import requests

    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time"
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host not found"),
        ("nodename nor servname", "host not found"),
        ("getaddrinfo failed", "host not found"),
        ("Temporary failure in name resolution", "host not found"),
        ("Network is unreachable", "network unreachable"),
        ("RemoteDisconnected", "the server closed the connection"),
        ("Connection reset", "connection reset"),
        ("SSLError", "TLS failure"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__
