"""The `fetch` and `cache` commands: parse options, call pa_trade.fetch, report on stderr.

Only click is imported at start-up; requests, pandas and the fetch library load when a
command runs, so `pa-trade --help` stays instant.
"""

from __future__ import annotations

import errno
import sys

import click

from pa_trade.errors import DataError, UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
DEFAULT_API_URL = "https://comtradeapi.un.org"
IMF_URL = "https://api.imf.org"


@click.group(context_settings=CONTEXT)
def fetch():
    """Download official figures into the user data folder (or a file)."""


def _asking_options(service: str, every: str):
    """The options of every fetch: what to ask, where to write, and the limits of asking."""
    options = [
        click.option("--reporter", "-r", "reporters", multiple=True, required=True,
                     metavar="NAME",
                     help="Reporting country (name, ISO code) or bloc (pa); repeatable."),
        click.option("--partner", "-p", "partners", multiple=True, metavar="NAME",
                     help=f"Partner country, bloc (pa) or World; repeatable. Default: {every}."),
        click.option("--years", "--year", "-y", "years", multiple=True, required=True,
                     metavar="YEAR|A-B", help="Year or range (2015-2022); repeatable."),
        click.option("--out", "-o", "out", metavar="FILE",
                     help="Write the flows to FILE ('-': stdout) instead of the user data "
                          "folder."),
        click.option("--refresh", is_flag=True,
                     help="Ask the server again even for cached answers."),
        click.option("--max-age", type=click.FloatRange(min=0), default=30, show_default=True,
                     metavar="DAYS", help="Cached answers older than this are asked again."),
        click.option("--retries", type=click.IntRange(min=0, max=20), default=4,
                     show_default=True,
                     help="Extra tries after a server error, a dropped connection or a rate "
                          "limit."),
        click.option("--timeout", type=click.FloatRange(min=1), default=120, show_default=True,
                     metavar="SECONDS",
                     help="Longest one call may take, from connecting to the answer's last "
                          "byte."),
        click.option("--deadline", type=click.FloatRange(min=1), default=3600,
                     show_default=True, metavar="SECONDS",
                     help="Longest the whole fetch may take, every call, retry and wait "
                          "included."),
        click.option("--max-answer", type=click.FloatRange(min=0.001), default=100,
                     show_default=True, metavar="MB",
                     help="Largest answer accepted (a larger one fails, exit 4, and nothing "
                          "of it is cached)."),
        click.option("--strict", is_flag=True,
                     help=f"Fail (exit 1) when any record of {service}'s answers is set "
                          f"aside."),
        click.option("--quiet", "-q", is_flag=True,
                     help="No progress bar and no report on stderr."),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


@fetch.command(context_settings=CONTEXT)
@_asking_options("UN Comtrade", "every partner, the World total and the aggregates Comtrade "
                                "reports")
@click.option("--api-key", envvar="COMTRADE_API_KEY", metavar="KEY",
              help="UN Comtrade subscription key (else $COMTRADE_API_KEY): uses the full "
                   "data endpoint instead of the public preview. Never printed or stored.")
@click.option("--api-url", envvar="PA_TRADE_COMTRADE_URL", metavar="URL",
              help=f"Another server (mirror, test); else $PA_TRADE_COMTRADE_URL, else "
                   f"{DEFAULT_API_URL}.")
@click.option("--level", type=click.Choice(["total", "chapter"]), default="total",
              show_default=True,
              help="total: all products; chapter: one flow per HS chapter (cmdCode AG2), which "
                   "`products` and `balance --gl` need. Many more calls: ask few partners.")
def comtrade(reporters, partners, years, out, refresh, max_age, retries, timeout, deadline,
             max_answer, strict, quiet, api_key, api_url, level):
    """Annual total exports and imports from UN Comtrade, by partner.

    Without --out, writes one tidy CSV per reporter (comtrade-COL.csv, ...) into the user
    data folder, merged with what it already holds; `balance` and every command read it.

    \b
    Examples:
      pa-trade fetch comtrade -r colombia -y 2020-2022
      pa-trade fetch comtrade -r pa -p pa -p usa -p china -y 2022
      pa-trade fetch comtrade -r peru -y 2022 --out peru-2022.csv
      pa-trade fetch comtrade -r peru -p korea -y 2022 --level chapter
    """
    from pa_trade.fetch.cache import AnswerCache
    from pa_trade.fetch.comtrade import ComtradeClient

    asked = _Asked(reporters, partners, years, out)
    client = ComtradeClient(base_url=(api_url or "").strip() or DEFAULT_API_URL,
                            api_key=api_key, cache=AnswerCache(),
                            **_limits(timeout, deadline, max_answer, retries, refresh, max_age))
    flows, report = _fetched(client, asked, quiet, strict, lambda: client.fetch_totals(
        asked.reporters, asked.partners, asked.years, level))
    partner_codes = asked.partners
    if flows.empty:
        what = "a total" if level == "total" else "an HS chapter"
        raise DataError(f"UN Comtrade sent records, but none is {what} pa-trade can use; "
                        f"see the report above")
    _deliver(flows, out, partner_codes, "comtrade", quiet)


@fetch.command(context_settings=CONTEXT)
@_asking_options("the IMF", "every partner, the World and the IMF's aggregates")
@click.option("--frequency", type=click.Choice(["annual", "monthly"]), default="annual",
              show_default=True, help="Annual figures, or monthly ones (each keeps its month).")
@click.option("--valuation", type=click.Choice(["cif", "fob", "both"]), default="both",
              show_default=True,
              help="Imports CIF, FOB or both where the IMF has them (exports are FOB); both "
                   "lets `balance --valuation fob` give the official balance.")
@click.option("--api-url", envvar="PA_TRADE_IMF_URL", metavar="URL",
              help=f"Another server (mirror, test); else $PA_TRADE_IMF_URL, else "
                   f"{IMF_URL}.")
def imf(reporters, partners, years, out, refresh, max_age, retries, timeout, deadline,
        max_answer, strict, quiet, frequency, valuation, api_url):
    """Exports and imports of goods by partner from the IMF (IMTS, formerly DOTS); no key.

    Every member's trade with every partner, annual or monthly, as the IMF publishes it:
    exports FOB, imports CIF and FOB, in US dollars. Without --out, writes one tidy CSV per
    reporter (imf-COL.csv, ...) into the user data folder, where every command finds it.

    \b
    Examples:
      pa-trade fetch imf -r pa -y 2015-2023
      pa-trade fetch imf -r colombia -p mexico -p usa -y 2022-2024 --frequency monthly
      pa-trade fetch imf -r peru -y 2023 --out peru-2023.csv
    """
    from pa_trade.fetch.imf import ImfClient

    asked = _Asked(reporters, partners, years, out)
    client = ImfClient(base_url=(api_url or "").strip() or IMF_URL, cache=imf_cache(),
                       **_limits(timeout, deadline, max_answer, retries, refresh, max_age))
    flows, _ = _fetched(client, asked, quiet, strict, lambda: client.fetch_flows(
        asked.reporters, asked.partners, asked.years, frequency, valuation))
    partner_codes = asked.partners
    _deliver(flows, out, partner_codes, "imf", quiet)


class _Asked:
    """What a fetch asks, checked before any call: the reporters and partners as codes, the
    years, and that `out` (when given) can be written."""

    def __init__(self, reporters, partners, years, out) -> None:
        from pathlib import Path

        from pa_trade.cli.common import parse_years
        from pa_trade.fetch import store

        self.reporters = _reporters(reporters)
        self.partners = _partners(partners) if partners else None
        self.years = parse_years(years)
        self.out = out
        if out and out != "-":
            store.check_out_path(Path(out))  # before any request: a typo costs no download


def _limits(timeout, deadline, max_answer, retries, refresh, max_age) -> dict:
    """The options every client takes from the command line."""
    from datetime import timedelta

    return {"timeout": timeout, "deadline": deadline,
            "max_answer_bytes": int(max_answer * 1024 * 1024), "max_retries": retries,
            "refresh": refresh, "max_age": timedelta(days=max_age)}


def _fetched(client, asked: _Asked, quiet: bool, strict: bool, fetch_call):
    """Run `fetch_call` with a progress bar on a terminal -> (flows, report), the report
    said on stderr; folders that cannot keep what is downloaded are refused first."""
    from pa_trade.fetch import store

    client.cache.check_writable()
    if not asked.out:
        store.check_user_data_writable()
    bar = ProgressBar(sys.stderr) if (not quiet and _is_terminal(sys.stderr)) else None
    client.progress = bar.update if bar else None
    try:
        flows, report = fetch_call()
    finally:
        if bar:
            bar.close()
    if not quiet:
        from pa_trade.cli.common import say

        for line in report.summary_lines():
            say(line)
    if strict and report.set_aside:
        raise DataError(f"--strict: {report.first_problem()}")
    return flows, report


def _deliver(flows, out: str | None, partner_codes, prefix: str, quiet: bool) -> None:
    """Write fetched flows: to stdout (`-`), to `out`, or merged into the user data folder."""
    import io
    from pathlib import Path

    from pa_trade.fetch import store

    if out == "-":
        from pa_trade import flows as flow_table

        text = io.StringIO()
        flow_table.to_tidy_csv(flows, text)
        _write_stdout(text.getvalue())
        return
    if out:
        store.write_flows(flows, Path(out))
        click.echo(f"wrote {len(flows)} flows to {out}")
        return
    for written in store.save_to_user_data(flows, partner_codes, prefix):
        if written.flows == written.fetched and not written.replaced:
            click.echo(f"wrote {written.fetched} flows to {written.path}")
            continue
        replaced = f", {written.replaced} replaced" if written.replaced else ""
        click.echo(f"wrote {written.fetched} flows to {written.path} (now {written.flows} "
                   f"flows{replaced})")
    if not quiet:
        _warn_if_data_elsewhere()


def _write_stdout(text: str) -> None:
    """Write `text` to standard output now, unbuffered where it is a file: a full disk
    (`> /dev/full`) is one line, exit 3, and nothing is left in a buffer to fail at exit."""
    import io

    from pa_trade.errors import InputError
    from pa_trade.fetch import files

    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        descriptor = None  # a stream in memory (tests, an embedding program)
    try:
        sys.stdout.flush()
        if descriptor is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            files.write_all(descriptor, text.encode("utf-8"))  # the tidy CSV is UTF-8
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise  # the reader stopped reading: ended quietly, as everywhere
        raise InputError(f"standard output: cannot write ({files.reason(exc)})") from None


def _warn_if_data_elsewhere() -> None:
    """Commands read $PA_TRADE_DATA instead of the user data folder when it is set."""
    import os
    from pathlib import Path

    from pa_trade.paths import user_data_dir

    setting = os.environ.get("PA_TRADE_DATA", "").strip()
    if not setting:
        return
    folder = user_data_dir().resolve()
    listed = [Path(p).expanduser().resolve() for p in setting.split(os.pathsep) if p]
    if folder not in listed:
        click.echo(f"pa-trade: note: $PA_TRADE_DATA is set, so other commands read it and not "
                   f"{folder}; add that folder to it, or pass --data {folder}", err=True)


def _reporters(texts) -> list[str]:
    from pa_trade.reference import countries

    codes: list[str] = []
    for text in texts:
        for code in countries.expand(text):
            if countries.kind(code) != "country":
                raise UsageError(f"--reporter {text!r}: a reporter is a country, not an area")
            codes.append(code)
    return list(dict.fromkeys(codes))


def _partners(texts) -> list[str]:
    from pa_trade.reference import countries

    codes: list[str] = []
    for text in texts:
        codes.extend(countries.expand(text))
    return list(dict.fromkeys(codes))


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """A one-line progress bar redrawn in place on a terminal: [#####.....] 3/10 label."""

    def __init__(self, stream, width: int = 24) -> None:
        self.stream = stream
        self.width = width
        self.shown = 0

    def update(self, done: int, total: int, label: str) -> None:
        """Redraw for `done` of `total` calls, the last one being `label`."""
        total = max(total, 1)
        filled = min(self.width, self.width * done // total)
        line = f"fetching [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {label}"
        line = line[:99]
        self.stream.write("\r" + line.ljust(self.shown))
        self.stream.flush()
        self.shown = len(line)

    def close(self) -> None:
        """Erase the bar, so what follows starts on a clean line."""
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


@click.group(context_settings=CONTEXT)
def cache():
    """Show or remove what pa-trade keeps: the raw answers of UN Comtrade and the IMF, the
    parsed files (the cache of parsed files) and the results of commands run on big files
    (the cache of results)."""


def imf_cache():
    """The cache of the IMF's answers, beside UN Comtrade's."""
    from pa_trade.fetch.cache import AnswerCache
    from pa_trade.paths import user_cache_dir

    return AnswerCache(user_cache_dir() / "imf", "the cache of the IMF's answers")


def _caches() -> list:
    from pa_trade.fetch.cache import AnswerCache

    return [AnswerCache(), imf_cache()]


@cache.command(name="list", context_settings=CONTEXT)
def cache_list():
    """List the cached answers (UN Comtrade's, the IMF's) with their age, oldest first."""
    shown = 0
    for store in _caches():
        entries = sorted(store.entries(), key=lambda e: (e.retrieved.replace(microsecond=0),
                                                        describe_request(e.params)))
        imf = store.folder.name == "imf"
        if not entries:
            if not imf:
                click.echo(f"no cached answers in {store.folder}")
            continue
        if shown:
            click.echo("")
        shown += 1
        rows = [("AGE", "RETRIEVED (UTC)", "RECORDS", "ENDPOINT", "REQUEST")]
        for entry in entries:
            if imf:
                endpoint = "imts"
                request = f"{entry.url_path.rsplit('/', 1)[-1]} {describe_request(entry.params)}"
            else:
                endpoint = "keyed" if "/data/" in entry.url_path else "preview"
                request = describe_request(entry.params)
            rows.append((format_age(entry.age().total_seconds()),
                         entry.retrieved.strftime("%Y-%m-%d %H:%M"), str(entry.records),
                         endpoint, request))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.rjust(w) if i == 2 else cell.ljust(w)
                     for i, (cell, w) in enumerate(zip(row, widths, strict=False))]
            click.echo("  ".join(cells + [row[-1]]).rstrip())
        size = sum(e.size_bytes for e in entries)
        click.echo(f"{len(entries)} cached answer{'s' if len(entries) != 1 else ''}, "
                   f"{format_size(size)}, in {store.folder}")
    _parsed_files_line()


def _parsed_files_line() -> None:
    from pa_trade.cli import results
    from pa_trade.readers import cache as parsed

    files, size = parsed.usage()
    if files:
        click.echo(f"{files} parsed file{'s' if files != 1 else ''} kept (the cache of parsed "
                   f"files), {format_size(size)}, in {parsed.folder()}")
    kept, size = results.usage()
    if kept:
        click.echo(f"{kept} result{'s' if kept != 1 else ''} kept (the cache of results: "
                   f"commands run again on unchanged files), {format_size(size)}, in "
                   f"{results.folder()}")


@cache.command(name="clear", context_settings=CONTEXT)
@click.option("--older-than", type=click.FloatRange(min=0), metavar="DAYS",
              help="Remove only answers retrieved more than DAYS ago.")
def cache_clear(older_than):
    """Remove the cached answers (the next fetch asks the server again), the parsed files
    and the results kept (the next command reads its files again)."""
    from datetime import timedelta

    age = timedelta(days=older_than) if older_than is not None else None
    for store in _caches():
        removed, freed = store.clear(older_than=age)
        if store.folder.name == "imf" and not removed:
            continue
        click.echo(f"removed {removed} cached answer{'s' if removed != 1 else ''} "
                   f"({format_size(freed)}) from {store.folder}")
    from pa_trade.readers import cache as parsed

    files, freed = parsed.clear() if older_than is None else (0, 0)
    if files:
        click.echo(f"removed {files} parsed file{'s' if files != 1 else ''} "
                   f"({format_size(freed)}) from {parsed.folder()}")
    from pa_trade.cli import results

    kept, freed = results.clear() if older_than is None else (0, 0)
    if kept:
        click.echo(f"removed {kept} result{'s' if kept != 1 else ''} "
                   f"({format_size(freed)}) from {results.folder()}")


# request parameters that every call has: left out of listings
_FIXED_PARAMS = {"cmdCode", "partner2Code", "customsCode", "motCode", "includeDesc"}


_PARAM_ORDER = ["reporterCode", "period", "flowCode", "partnerCode"]


def describe_request(params: dict[str, str]) -> str:
    """The parameters that tell cached requests apart: 'reporterCode=170 period=2022 ...'."""
    names = sorted((k for k in params if k not in _FIXED_PARAMS),
                   key=lambda k: (_PARAM_ORDER.index(k) if k in _PARAM_ORDER else 9, k))
    if params.get("cmdCode", "TOTAL") != "TOTAL":
        names.append("cmdCode")  # a product level other than the total tells answers apart
    return " ".join(f"{k}={params[k]}" for k in names)


def format_age(seconds: float) -> str:
    """An age in the largest whole unit: '40 s', '12 min', '3 h', '5 d'."""
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def format_size(size: int) -> str:
    """Bytes as '812 B', '14.2 KB', '3.1 MB'."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
