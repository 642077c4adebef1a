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
                "comtrade-json", "inegi-bcmm", "aduanas-salidas", "aduanas-ingresos", "parquet"]
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


def _keep_param(name: str):
    """A callback that keeps a value not passed to the command where _words finds it
    (in the context's meta: what is in its params goes to the command)."""
    def callback(ctx, _param, value):
        ctx.meta[f"pa_trade.{name}"] = value
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
                     help="Parse every file and compute the result again, using neither the "
                          "cache of parsed files nor the cache of results."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


RAW_TEXT_HELP = ("csv/tsv/csv-excel: text cells as they are, without the ' put before a "
                 "text that starts with = + - @, a tab or a carriage return (which "
                 "spreadsheets run as formulas). Numbers are never changed; xlsx text is "
                 "always as it is, typed as text.")
FORMAT_HELP = ("Output format. csv-excel: CSV for Excel in Spanish (or another decimal-comma "
               "locale): ';', 1234,5, a UTF-8 BOM. xlsx: an Excel workbook, written to "
               "--output FILE.")


def raw_text_option(command):
    """--raw-text: csv/tsv text cells without the "'" that keeps spreadsheets from formulas."""
    return click.option("--raw-text", "raw_text", is_flag=True, help=RAW_TEXT_HELP)(command)


# render.tables.FORMATS, written out so that --help need not import render
FORMATS = ("table", "csv", "tsv", "json", "markdown", "csv-excel", "xlsx")


def _words(ctx, _param, _value):
    """--lang and --width set the words and width of people's output (render.words)."""
    if ctx.resilient_parsing:
        return _value
    from pa_trade.render import words

    width = None
    if _value is not None:
        text = str(_value).strip()
        if not text.isdigit():
            raise UsageError(f"--width {_value}: a whole number of columns, such as 80 or 120 "
                             f"(0: never fold or drop a column)")
        width = int(text)
    words.configure(ctx.meta.get("pa_trade.lang"), width)
    return _value


LANG_HELP = ("Language of tables, notes and names for people: en, es (numbers 1.234,5) or "
             "es-mx (1,234.5). Default: $PA_TRADE_LANG, else the locale. csv, tsv and json "
             "keep English column names, codes and statuses.")
WIDTH_HELP = ("Fit tables and notes to COLS columns (default: the terminal's, $COLUMNS, else "
              "80); 0: never fold or drop a column.")


def output_options(formats=FORMATS):
    """--format, --units, --raw-text, --output, --lang and --width; the first four passed to
    the command as fmt, units, raw_text and output_path (check them with check_output, write
    with emit), the last two set render.words for the run."""
    def decorate(command):
        command = click.option("--width", metavar="COLS",
                               expose_value=False, is_eager=False, callback=_words,
                               help=WIDTH_HELP)(command)
        command = click.option("--lang", metavar="LANG", expose_value=False,
                               is_eager=True, callback=_keep_param("lang"),
                               help=LANG_HELP)(command)
        command = click.option(
            "--output", "-o", "output_path", metavar="FILE",
            help="Write the result to FILE (whole, or not at all) instead of standard output; "
                 "needed for xlsx ('-o -': standard output, when it is not a terminal). A "
                 "FILE ending in .xlsx without --format writes a workbook.",
        )(command)
        command = raw_text_option(command)
        command = click.option(
            "--units", type=click.Choice(["usd", "thousands", "millions", "billions"]),
            help="Units of money: tables default to millions, csv/tsv/json/csv-excel/xlsx to "
                 "full dollars.",
        )(command)
        return click.option(
            "--format", "-f", "fmt", type=click.Choice(formats), default=formats[0],
            show_default=True, help=FORMAT_HELP,
        )(command)
    return decorate


def format_given() -> bool:
    """Whether --format was typed (not its default): a name ending in .xlsx or .parquet
    chooses the format only when it was not."""
    from click.core import ParameterSource

    context = click.get_current_context(silent=True)
    return context is not None and context.get_parameter_source("fmt") not in (
        ParameterSource.DEFAULT, None)


def check_output(fmt: str, output_path: str | None) -> str:
    """The format to write, once --format and --output agree; UsageError, before anything is
    read, when they do not: a workbook is binary and goes to a file (or a pipe), never to a
    terminal. `-o FILE.xlsx` without --format means xlsx."""
    from pathlib import Path

    xlsx_name = output_path is not None and output_path.lower().endswith(".xlsx")
    if xlsx_name and not format_given():
        fmt = "xlsx"
    if fmt == "xlsx":
        if output_path is None:
            raise UsageError("--format xlsx writes a workbook: give --output FILE.xlsx "
                             "(or -o - to send it down a pipe)")
        if output_path == "-":
            import sys

            if sys.stdout is not None and sys.stdout.isatty():
                raise UsageError("-o -: standard output is a terminal, and a workbook is "
                                 "binary; give a file name, or redirect standard output")
        elif not xlsx_name:
            raise UsageError(f"--output {output_path}: a workbook's name must end in .xlsx "
                             f"(Excel opens no other)")
    elif xlsx_name:
        raise UsageError(f"--output {output_path}: a .xlsx file is a workbook, and "
                         f"--format {fmt} is text; use --format xlsx")
    if output_path not in (None, "-"):
        folder = Path(output_path).parent
        if not folder.is_dir():
            from pa_trade.errors import InputError

            raise InputError(f"--output {output_path}: no such folder {folder}")
    return fmt


def emit(output, output_path: str | None, quiet: bool) -> None:
    """A command's result (text, bytes, or an iterator of chunks of UTF-8 bytes) to standard
    output, or with --output written whole to the file (fetch.files.write_atomically: no
    half-written file is left) and a 'wrote' line."""
    from pa_trade.cli.results import recording

    kept = recording()
    if kept is not None:  # the result goes out as before, and is kept as it goes
        kind = "text" if isinstance(output, str) else "bytes" if isinstance(
            output, bytes) else "chunks"
        plain = kind == "text" and "\x1b" not in output
        chunks = kept.result(_as_chunks(output), kind, output_path, plain)
        if kind == "chunks":
            output = chunks
        else:  # kept first, whole; the result itself goes out as it is
            for _ in chunks:
                pass
    _write_result(output, output_path)
    if not quiet and output_path not in (None, "-"):
        say(f"wrote {output_path}")


def emit_kept(chunks, kind: str, output_path: str | None, plain: bool = False) -> None:
    """A result kept by the cache of results (cli.results), written as emit wrote it: text,
    bytes or chunks of UTF-8 (`kind`). A text goes out a chunk at a time, never whole,
    where that writes the same bytes: into a file, or without terminal escapes (`plain`)
    to a UTF-8 standard output."""
    import sys

    if kind == "text" and (output_path not in (None, "-") or (plain and (
            getattr(sys.stdout, "encoding", "") or "").lower().replace("-", "") == "utf8")):
        kind = "chunks"
    _write_result(chunks if kind == "chunks" else _joined(chunks, kind), output_path)


def _as_chunks(output):
    if isinstance(output, str):  # what Python read as surrogates goes back as it came
        return [output.encode("utf-8", "surrogateescape")]
    return [output] if isinstance(output, bytes) else output


def _joined(chunks, kind: str):
    whole = b"".join(chunks)
    return whole.decode("utf-8", "surrogateescape") if kind == "text" else whole


def _write_result(output, output_path: str | None) -> None:
    if output_path in (None, "-"):
        if isinstance(output, (str, bytes)):
            click.echo(output, nl=False)
        else:  # chunks of UTF-8: written as they come, the whole never held
            _stream_out(output)
        return
    from pathlib import Path

    from pa_trade.fetch.files import write_atomically

    data = output.encode("utf-8") if isinstance(output, str) else output
    write_atomically(Path(output_path), data)


def _stream_out(chunks) -> None:
    """Chunks of UTF-8 to standard output: as bytes where it takes UTF-8, else as text, so
    that a stream in another encoding falls back to plain characters (cli._fit_streams)."""
    import sys

    encoding = (getattr(sys.stdout, "encoding", "") or "utf-8").lower().replace("-", "")
    stream = getattr(sys.stdout, "buffer", None)
    if encoding == "utf8" and stream is not None:
        sys.stdout.flush()  # what went before as text stays before
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
        return
    import codecs

    # a chunk may end inside a character (a kept result is read back 1 MB at a time)
    decoder = codecs.getincrementaldecoder("utf-8")()
    for chunk in chunks:
        click.echo(decoder.decode(chunk), nl=False)
    click.echo(decoder.decode(b"", final=True), nl=False)


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

    _settle_imports()  # under way while the files are opened and the first pieces parsed
    context = click.get_current_context(silent=True)
    meta = context.meta if context else {}
    use_cache = not meta.get(NO_CACHE)
    paths = list(data_paths) or readers.default_data_paths()
    loaded = readers.load(paths, layout=layout, number_style=number_style, strict=strict,
                          products=products, valuations=valuations, use_cache=use_cache,
                          codes=meta.get(COUNTRY_CODES), months=meta.get(MONTHS),
                          reporter=meta.get(FILE_REPORTER))
    if any(report.of_this_run for report in loaded.reports):
        from pa_trade.cli.results import unkept

        unkept()  # its notes would be wrong the next time
    from pa_trade.paths import builtin_flows_dir

    builtin = paths == [str(builtin_flows_dir())]
    if not quiet:
        from pa_trade.readers.report import report_lines

        for line in report_lines(loaded):
            say(line)
        for note in loaded.notes:
            say(f"note: {note}")
        if not data_paths and not builtin:
            say(f"note: {_where_data_came_from(paths, loaded)}")
    return loaded, builtin


def _where_data_came_from(paths: list[str], loaded) -> str:
    """'read the user data folder PATH (what fetch saved): ...; the loaded data cover ...':
    a run without --data says what it read when it is not the built-in figures."""
    import os

    from pa_trade.analysis.balance import coverage
    from pa_trade.paths import user_data_dir

    files = len(loaded.reports)
    what = f"{files} file{'s' if files != 1 else ''}"
    if os.environ.get("PA_TRADE_DATA", "").strip():
        where = f"$PA_TRADE_DATA ({os.pathsep.join(paths)})"
    else:
        where = f"the user data folder {user_data_dir()} (what fetch saved)"
    covered = coverage(loaded.flows) if not loaded.flows.empty else "nothing"
    return f"no --data given: read {what} from {where}; {covered}"




@cache
def _settle_imports() -> None:
    """Import pandas (and with it pyarrow), then leave their objects out of garbage collection.

    They live as long as the process: without this the collector walks their hundreds of
    thousands of objects again and again while a command runs and once more at exit, about a
    tenth of a second of a run on cached data. Once per process (the tests run many commands
    in one), so that nothing a command left behind is kept from the collector.

    The import (a third of a second) runs on a thread of its own, started here: meanwhile
    the files are looked at and the microdata reader's first pieces parsed, which need
    Arrow and numpy only; whatever needs pandas first waits for it (Python's import lock).
    """
    import sys
    import threading

    if "pandas" in sys.modules:
        return
    threading.Thread(target=_import_pandas, name="pa-trade imports", daemon=True).start()


def _import_pandas() -> None:
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
    from pa_trade.cli.results import recording
    from pa_trade.render.tables import printable

    kept = recording()
    if kept is not None:
        kept.said(text)
    click.echo(f"pa-trade: {printable(text)}", err=True)


def machine_notes(notes: list[str], builtin: bool, loaded) -> list[str]:
    """What a person should know of machine output: the result's notes, then the built-in
    data's if it was used. On stderr (stderr_notes), and on an xlsx's About sheet."""
    if not builtin:
        return list(notes)
    from pa_trade.paths import BUILTIN_NOTE

    return [*notes, BUILTIN_NOTE.format(n=loaded.row_count)]


def stderr_notes(notes: list[str], builtin: bool, loaded, quiet: bool) -> None:
    """Machine output stays clean: what a person should know goes to stderr."""
    if quiet:
        return
    from pa_trade.render import words

    label = "nota" if words.spanish() else "note"  # notes are for people: --lang says
    for note in machine_notes(notes, builtin, loaded):
        say(f"{label}: {words.say(note)}")


def check_chart_options(chart: bool, plot_path: str | None, people: bool) -> None:
    """Usage errors for --chart and --plot, raised before anything is read or printed."""
    if chart and not people:
        raise UsageError("--chart draws for people: use it with --format table or markdown "
                         "(or write a file with --plot)")
    if plot_path:
        from pa_trade.render.charts import check_plot_path, require_matplotlib

        check_plot_path(plot_path)
        require_matplotlib()
