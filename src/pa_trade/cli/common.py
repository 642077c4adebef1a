"""What the commands share: option decorators, year ranges, loading data with its report.

Only click at import time: `pa-trade --help` must not load pandas.
"""

from __future__ import annotations

import os
import re
from functools import cache

import click

from pa_trade.errors import UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# readers.LAYOUTS, written out so that --help need not import the readers (a test checks)
LAYOUT_NAMES = ["dane-expo", "dane-impo", "dane-cuadro", "mexico-se", "tidy", "imf-dots",
                "imf-sdmx-csv", "imf-sdmx-ml", "sunat-cuadro", "comtrade-plus",
                "comtrade-legacy",
                "comtrade-json", "inegi-bcmm", "aduanas-salidas", "aduanas-ingresos"]
NO_CACHE = "pa_trade.no_cache"
MONTHS = "pa_trade.months"
COUNTRY_CODES = "pa_trade.country_codes"
FILE_REPORTER = "pa_trade.file_reporter"


def _keep(key: str, parse=None):
    """A click callback that keeps an option's value in the context for load_data."""
    def callback(ctx, _param, value):
        ctx.meta[key] = parse(value) if parse is not None and value else value
        return value
    return callback


def _months(values):
    from pa_trade.periods import parse_months

    return parse_months(values)


def _file_reporter(value):
    from pa_trade.reference import countries

    code = countries.resolve(value, where="--file-reporter")
    if countries.kind(code) != "country":
        raise UsageError(f"--file-reporter {value!r}: a reporter is a country, not an area")
    return code


def data_options(command):
    """The options every command that loads data shares."""
    options = [
        click.option("--data", "-d", "data_paths", multiple=True, metavar="PATH",
                     help="File, folder or '-' (stdin); repeatable. Default: $PA_TRADE_DATA, "
                          "else the user data folder (what fetch saved), else the built-in "
                          "published figures."),
        click.option("--layout", type=click.Choice(LAYOUT_NAMES),
                     help="Force the input layout instead of detecting it."),
        click.option("--number-style", type=click.Choice(["spanish", "english"]),
                     help="Force how numbers are written (1.234,5 or 1,234.5)."),
        click.option("--strict", is_flag=True,
                     help="Fail (exit 1) when any row of the input is set aside."),
        click.option("--quiet", "-q", is_flag=True,
                     help="Do not print the load report on stderr."),
        # kept in the context, not passed on: every command that loads data honours them
        click.option("--months", "-m", multiple=True, metavar="M-N", expose_value=False,
                     callback=_keep(MONTHS, _months),
                     help="Keep only these months of every monthly source (1-6, 1,3, "
                          "ene-jun); repeatable. Yearly figures cannot be narrowed and are "
                          "left out, with a note."),
        click.option("--country-codes", type=click.Choice(["dian", "iso"]),
                     expose_value=False, callback=_keep(COUNTRY_CODES),
                     help="How microdata's numeric country codes are read: DIAN's or ISO "
                          "3166 numeric. Default: decided by the file's own codes."),
        click.option("--file-reporter", metavar="NAME", expose_value=False,
                     callback=_keep(FILE_REPORTER, _file_reporter),
                     help="Whose trade the loaded tables are, for tables whose title and "
                          "notes do not say it (with --layout: a layout says how to read a "
                          "table, never whose it is)."),
        click.option("--no-cache", is_flag=True, expose_value=False,
                     callback=_keep(NO_CACHE),
                     help="Parse every file again instead of using the cache of parsed files."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


RAW_TEXT_HELP = ("csv/tsv: text cells as they are, without the ' put before a text that "
                 "starts with = + - @, a tab or a carriage return (which spreadsheets run as "
                 "formulas). Numbers are never changed.")


def raw_text_option(command):
    """--raw-text: csv/tsv text cells without the "'" that keeps spreadsheets from formulas."""
    return click.option("--raw-text", "raw_text", is_flag=True, help=RAW_TEXT_HELP)(command)


def output_options(formats=("table", "csv", "tsv", "json", "markdown")):
    """--format, --units and --raw-text, passed to the command as fmt, units, raw_text."""
    def decorate(command):
        command = raw_text_option(command)
        command = click.option(
            "--units", type=click.Choice(["usd", "thousands", "millions", "billions"]),
            help="Units of money: tables default to millions, csv/tsv/json to full dollars.",
        )(command)
        return click.option(
            "--format", "-f", "fmt", type=click.Choice(formats), default=formats[0],
            show_default=True, help="Output format.",
        )(command)
    return decorate


def parse_years(values) -> list[int] | None:
    """'2022', '2015-2022', '2021,2022' (repeatable) -> sorted years; None when not given."""
    years: set[int] = set()
    for value in values:
        parts = [p.strip() for p in str(value).split(",")]
        for part in [p for p in parts if p] or [str(value).strip()]:  # '2022,' is 2022
            match = re.fullmatch(r"(\d{4})(?:\s*[-:–]\s*(\d{4}))?", part)
            if not match:
                raise UsageError(f"--year {part!r}: expected a year like 2022 or a range 2015-2022")
            first, last = int(match.group(1)), int(match.group(2) or match.group(1))
            if last < first:
                raise UsageError(f"--year {part!r}: the range ends before it starts")
            years.update(range(first, last + 1))
    return sorted(years) or None


def load_data(data_paths, layout, number_style, strict, quiet, products=True, valuations=None):
    """Load the data asked for (or the default) and print the load report on stderr.

    `products=False` for commands that need no tariff codes, `valuations` for those that need
    one import valuation: microdata load much faster.
    """
    from pa_trade import readers

    _settle_imports()
    context = click.get_current_context(silent=True)
    meta = context.meta if context else {}
    use_cache = not meta.get(NO_CACHE)
    paths = list(data_paths) or readers.default_data_paths()
    loaded = readers.load(paths, layout=layout, number_style=number_style, strict=strict,
                          products=products, valuations=valuations, use_cache=use_cache,
                          codes=meta.get(COUNTRY_CODES), months=meta.get(MONTHS),
                          reporter=meta.get(FILE_REPORTER))
    if not quiet:
        from pa_trade.readers.report import report_lines

        for line in report_lines(loaded):
            say(line)
        for note in loaded.notes:
            say(f"note: {note}")
    from pa_trade.paths import builtin_flows_dir

    builtin = paths == [str(builtin_flows_dir())]
    return loaded, builtin




@cache
def _settle_imports() -> None:
    """Import pandas (and with it pyarrow), then leave their objects out of garbage collection.

    They live as long as the process: without this the collector walks their hundreds of
    thousands of objects again and again while a command runs and once more at exit, about a
    tenth of a second of a run on cached data. Once per process (the tests run many commands
    in one), so that nothing a command left behind is kept from the collector.
    """
    import gc

    import pandas  # noqa: F401  (pyarrow comes with it)

    gc.freeze()


def load_blocs(path: str | None) -> None:
    """Add the blocs of a user file (layout of data/blocs.csv), if one is given."""
    from pa_trade.errors import DataError, InputError
    from pa_trade.reference import countries

    if not path:
        return
    if not os.path.isfile(path):
        raise InputError(f"--blocs {path}: no such file")
    try:
        countries.load_blocs(path)
    except (KeyError, ValueError) as exc:
        raise DataError(f"--blocs {path}: not a blocs file like data/blocs.csv ({exc})") from None


def say(text: str) -> None:
    """One line for people on stderr, 'pa-trade: TEXT': the load report, notes, errors.

    The text names files and quotes the input, so control characters other than tab are
    shown escaped ('\\x1b'): nothing read can drive the terminal.
    """
    from pa_trade.render.tables import printable

    click.echo(f"pa-trade: {printable(text)}", err=True)


def stderr_notes(notes: list[str], builtin: bool, loaded, quiet: bool) -> None:
    """Machine output stays clean: what a person should know goes to stderr."""
    if quiet:
        return
    for note in notes:
        say(f"note: {note}")
    if builtin:
        from pa_trade.paths import BUILTIN_NOTE

        say("note: " + BUILTIN_NOTE.format(n=len(loaded.flows)))


def check_chart_options(chart: bool, plot_path: str | None, people: bool) -> None:
    """Usage errors for --chart and --plot, raised before anything is read or printed."""
    if chart and not people:
        raise UsageError("--chart draws for people: use it with --format table or markdown "
                         "(or write a file with --plot)")
    if plot_path:
        from pa_trade.render.charts import check_plot_path, require_matplotlib

        check_plot_path(plot_path)
        require_matplotlib()
