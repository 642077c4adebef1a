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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pa_trade.errors import DataError, NetworkError, UsageError
from pa_trade.fetch.codes import comtrade_code
from pa_trade.fetch.service import (
    Service,
)
from pa_trade.readers import comtrade as comtrade_records
from pa_trade.readers.comtrade import integer
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_URL = "https://comtradeapi.un.org"
PREVIEW_PATH = "/public/v1/preview/C/A/HS"
KEYED_PATH = "/data/v1/get/C/A/HS"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
RECORD_CAP = 500  # the preview answers at most this many records a call
SOURCE = "UN Comtrade (retrieved {date})"

# What Comtrade calls each product level pa-trade asks for: all products, or every HS chapter
LEVEL_CODES = {"total": "TOTAL", "chapter": "AG2"}



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


class ComtradeClient(Service):
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

    def __init__(self, base_url: str = DEFAULT_URL, api_key: str | None = None,
                 record_cap: int = RECORD_CAP, **options) -> None:
        super().__init__(base_url, api_key, **options)
        self.record_cap = record_cap

    @property
    def url_path(self) -> str:
        """The preview without a key, the full data endpoint with one."""
        return KEYED_PATH if self.api_key else PREVIEW_PATH

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
        cached = self.cached(self.url_path, params)
        if cached is not None:
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

    # -- deadlines -------------------------------------------------------------------------

    # -- pieces ----------------------------------------------------------------------------

    name = "UN Comtrade"

    def request(self, params: dict[str, str], what: str) -> dict:
        """GET the endpoint with `params` -> the decoded JSON answer, cleared of the key
        (Service.call: retries, rate limits, deadlines, size cap, redirects)."""
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers[KEY_HEADER] = self.api_key
        return self._decode(self.call(self.url_path, params, what, headers).text, what)

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

def _check_answer(records: list[dict], query: Query) -> None:
    """DataError when a record is another reporter's or another year's than the one asked for:
    stored, it would replace that country's or that year's figures. Checked before an answer
    is cached or converted."""
    asked = countries.comtrade_to_iso3(query.reporter)
    for record in records:
        year = integer(record.get("refYear"))
        if year is None:
            year = integer(str(record.get("period", ""))[:4])
        if year is not None and year != query.year:
            raise DataError(f"UN Comtrade answered the request for {query.describe()} with "
                            f"records of {year}; nothing was written")
        code = integer(record.get("reporterCode"))
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
    `report`: converted (rows_used) or set aside with its reason (readers.comtrade.to_flows,
    the rules every Comtrade file follows too). Records are numbered across the answers.
    Source: "UN Comtrade (retrieved DATE)", the date the server sent the record.
    `level="chapter"`: the records are HS chapters, kept with hs_code = the chapter.
    """

    def numbered():
        number = 0
        for answer in answers:
            source = SOURCE.format(date=answer.retrieved.date().isoformat())
            for record in answer.records:
                number += 1
                yield number, source, record

    return comtrade_records.to_flows(numbered(), report, level, current_code=comtrade_code)


# -- helpers -------------------------------------------------------------------------------


def _code_for(iso3: str, option: str) -> int:
    code = comtrade_code(iso3)
    if code is None:
        raise UsageError(f"{option}: UN Comtrade has no area code for "
                         f"{countries.name(iso3)} ({iso3})")
    return code


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



