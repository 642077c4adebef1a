"""The IMF's International Trade in Goods by partner country (IMTS, formerly DOTS), from its
SDMX 2.1 API at api.imf.org: no key, every member's exports FOB and imports CIF (and FOB)
with every partner, annual or monthly.

`ImfClient.fetch_flows` asks one question per reporter (and, for monthly data, per span of
MONTHLY_SPAN years, so that no answer is too wide), as SDMX-CSV, through `Service.call`
(timeouts, the deadline, retries and rate limits, the size cap); keeps every raw answer in
the cache; and reads the answers with the same reader as an SDMX-CSV file
(readers.imf.read_sdmx_csv), so a fetched figure and a downloaded one are read alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pa_trade.errors import DataError, NetworkError, UsageError
from pa_trade.fetch.service import Service
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_URL = "https://api.imf.org"
DATA_PATH = "/external/sdmx/2.1/data/IMF.STA,IMTS,1.0.0/"
# what the IMF's API answers SDMX-CSV to (as recorded from api.imf.org)
ACCEPT = "application/vnd.sdmx.data+csv;version=2.0.0"
INDICATORS = {"cif": ("XG_FOB_USD", "MG_CIF_USD"), "fob": ("XG_FOB_USD", "MG_FOB_USD"),
              "both": ("XG_FOB_USD", "MG_CIF_USD", "MG_FOB_USD")}
FREQUENCIES = {"annual": "A", "monthly": "M"}
MONTHLY_SPAN = 10  # years of monthly data in one call
SOURCE = "IMF IMTS (retrieved {date})"


@dataclass(frozen=True)
class Query:
    """One call: a reporter's flows with some partners (None: all) over some years."""

    reporter: str  # the IMF's code (ISO alpha-3 for countries)
    indicators: tuple[str, ...]
    partners: tuple[str, ...] | None
    frequency: str  # A or M
    first: int
    last: int

    def url_path(self) -> str:
        partners = "+".join(self.partners) if self.partners else ""
        return (f"{DATA_PATH}{self.reporter}.{'+'.join(self.indicators)}.{partners}."
                f"{self.frequency}")

    def params(self) -> dict[str, str]:
        if self.frequency == "M":
            return {"startPeriod": f"{self.first}-01", "endPeriod": f"{self.last}-12"}
        return {"startPeriod": str(self.first), "endPeriod": str(self.last)}

    def describe(self) -> str:
        name = countries.name(countries.imf_to_code(self.reporter) or self.reporter)
        years = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        text = f"{name} {years}{' monthly' if self.frequency == 'M' else ''}"
        if self.partners and len(self.partners) == 1:
            return f"{text} with {countries.name(countries.imf_to_code(self.partners[0]))}"
        if self.partners:
            return f"{text} with {len(self.partners)} partners"
        return text


class ImfClient(Service):
    """A client of the IMF's SDMX API for IMTS (see Service for the arguments)."""

    name = "the IMF"
    no_data_statuses = (404,)  # SDMX REST: 404 is "no results found"

    def __init__(self, base_url: str = DEFAULT_URL, **options) -> None:
        super().__init__(base_url, **options)

    def queries(self, reporters: list[str], partners: list[str] | None, years: list[int],
                frequency: str, valuation: str) -> list[Query]:
        """The calls that together ask the question: by reporter, and by span of years for
        monthly data."""
        reporter_codes = [self._code(r, "--reporter") for r in reporters]
        partner_codes = None if partners is None else tuple(
            dict.fromkeys(self._code(p, "--partner") for p in partners))
        freq = FREQUENCIES[frequency]
        first, last = min(years), max(years)
        span = MONTHLY_SPAN if freq == "M" else last - first + 1
        return [Query(code, INDICATORS[valuation], partner_codes, freq, start,
                      min(last, start + span - 1))
                for code in dict.fromkeys(reporter_codes)
                for start in range(first, last + 1, span)]

    def fetch_flows(self, reporters: list[str], partners: list[str] | None, years: list[int],
                    frequency: str = "annual", valuation: str = "both"
                    ) -> tuple[pd.DataFrame, LoadReport]:
        """Flows of `reporters` (ISO3) with `partners` (None: every partner, the World and the
        IMF's aggregates) in `years` -> (canonical flows, load report). Years in a span
        asked but not wanted (a list like 2015,2022) are dropped from what is kept.

        Raises DataError when the IMF has no data at all for the question, NetworkError when
        it cannot be reached or refuses."""
        import pandas as pd

        from pa_trade import flows as flow_table

        queries = self.queries(reporters, partners, years, frequency, valuation)
        self._done, self._total = 0, len(queries)
        report = LoadReport("IMF IMTS", "imf-api", number_style="plain")
        frames, empty = [], []
        for query in queries:
            frame, answer_report = self.answer(query)
            self._done += 1
            if self.progress:
                self.progress(self._done, self._total, query.describe())
            report.rows_read += answer_report.rows_read
            report.rows_used += answer_report.rows_used
            report.set_aside += answer_report.set_aside
            report.notes += [f"{query.describe()}: {n}" for n in answer_report.notes]
            if frame.empty:
                empty.append(query.describe())
            frames.append(frame)
        flows = pd.concat(frames, ignore_index=True) if frames else flow_table.empty()
        flows = flows[flows["year"].isin(list(years))]
        if empty and len(empty) < len(queries):
            report.notes.append(f"no data for {', '.join(empty)}")
        if flows.empty:
            raise DataError(f"the IMF has no data for {_asked(reporters, partners, years)}")
        report.notes.append(self._cost_note())
        return flow_table.normalise_frame(flows.reset_index(drop=True)), report

    def answer(self, query: Query):
        """(flows, report) of one call: from the cache when it has the answer."""
        params = query.params()
        path = query.url_path()
        text, retrieved = None, None
        cached = self.cached(path, params, lambda answer: isinstance(answer, dict)
                             and isinstance(answer.get("csv"), str))
        if cached is not None:
            text, retrieved = cached.answer["csv"], cached.retrieved
        if text is None:
            reply = self.call(path, params, query.describe(), {"Accept": ACCEPT})
            self.stats.from_server += 1
            retrieved = self.clock()
            text = "" if reply.status_code in self.no_data_statuses else reply.text
            frame, report = self._read(text, query, retrieved)
            if self.cache is not None and not frame.empty:
                # empty answers are not kept: the next fetch asks again, in case data arrived
                self.cache.put(self.server, path, params, {"csv": text,
                                                           "observations": report.rows_read},
                               retrieved)
            return frame, report
        return self._read(text, query, retrieved)

    def _read(self, text: str, query: Query, retrieved: datetime):
        from pa_trade import flows as flow_table
        from pa_trade.readers import imf
        from pa_trade.textio import SourceFile

        if not text.strip():
            return flow_table.empty(), LoadReport(query.describe(), "imf-api")
        header = text.split("\n", 1)[0].split(",")
        if not imf.is_sdmx_csv(header):
            start = " ".join(text[:60].split())
            raise NetworkError(f"the IMF sent an answer that is not SDMX-CSV for "
                               f"{query.describe()} (starts {start!r})")
        source = SOURCE.format(date=retrieved.date().isoformat())
        src = SourceFile(query.describe(), held=text.encode("utf-8"))
        try:
            frame, report = imf.read_sdmx_csv(src, source=source)
        except DataError as exc:
            raise NetworkError(f"the IMF's answer for {query.describe()} cannot be read: "
                               f"{exc}") from None
        wrong = frame[frame["reporter"] != countries.imf_to_code(query.reporter)]
        if not wrong.empty:
            raise NetworkError(f"the IMF answered {query.describe()} with the flows of "
                               f"{countries.name(wrong['reporter'].iloc[0])}")
        return frame, report

    def _code(self, code: str, option: str) -> str:
        found = countries.imf_code_of(code)
        if found is None:
            raise UsageError(f"{option} {countries.name(code)} ({code}): the IMF has no code "
                             f"for it")
        return found


def _asked(reporters: list[str], partners: list[str] | None, years: list[int]) -> str:
    who = ", ".join(countries.name(r) for r in reporters)
    if partners:
        who += " with " + ", ".join(countries.name(p) for p in partners)
    first, last = min(years), max(years)
    return f"{who} in {first if first == last else f'{first}-{last}'}"
