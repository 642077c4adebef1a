"""The command line: parse options, call the library, render, map errors to exit codes.

Only click is imported at start-up; pandas and the readers load when a command runs.
"""

from __future__ import annotations

import os
import signal
import sys

import click

from pa_trade import __version__
from pa_trade.cli_common import (
    BUILTIN_NOTE,
    CONTEXT,
    check_chart_options,
    data_options,
    load_blocs,
    load_data,
    output_options,
    parse_years,
    raw_text_option,
    say,
    stderr_notes,
)
from pa_trade.errors import ExitCode, PaTradeError, UsageError

# stdout closed (`>&-`): nothing can be written; EX_IOERR of sysexits.h (README, exit codes)


class PaTradeGroup(click.Group):
    """A group whose every failure is one line on stderr with a documented exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("PA_TRADE_DEBUG", "") not in ("", "0")
        if sys.stdout is None:  # started with stdout closed: click would write nothing, say 0
            _fail("standard output is closed: nothing can be written (pa-trade writes its "
                  "results there; redirect it to a file or /dev/null instead)", ExitCode.OUTPUT)
        try:
            code = super().main(args=argv, prog_name=prog_name or "pa-trade",
                                complete_var=complete_var, standalone_mode=False, **extra)
        except PaTradeError as exc:
            if debug:
                raise
            _fail(str(exc), exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:
            # `pa-trade` or `pa-trade cache` alone asks for the help: give it as --help does
            click.echo(exc.ctx.get_help())
            code = ExitCode.OK
        except click.ClickException as exc:
            if debug:
                raise
            _fail(exc.format_message(), ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):
            _fail("interrupted", ExitCode.INTERRUPTED)
        except Exception as exc:  # a bug of ours: still one line unless --debug
            if debug:
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} "
                  f"(run with --debug for the traceback)", ExitCode.INTERNAL)
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


@click.group(cls=PaTradeGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", "-V", prog_name="pa-trade")
@click.option("--debug", is_flag=True, envvar="PA_TRADE_DEBUG",
              help="Show the full traceback when something fails.")
@click.pass_context
def cli(ctx, debug):
    """Trade balances of the Pacific Alliance (Chile, Colombia, Mexico, Peru) from the
    statistics offices' own files: DANE, Mexico's Secretaría de Economía, UN Comtrade.

    \b
    Examples:
      pa-trade balance colombia --year 2022
      pa-trade balance colombia -y 2022 -p mexico --format csv
      pa-trade balance colombia -d expo_2022.csv -d impo_2022.csv --valuation fob
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command(context_settings=CONTEXT)
@click.argument("reporter")
@click.option("--year", "--years", "-y", "years", multiple=True, metavar="YEAR|A-B",
              help="Year or range (2015-2022); repeatable. Default: every year in the data.")
@click.option("--partner", "-p", "partners", multiple=True, metavar="NAME",
              help="Partner name or code, or a bloc (pa: one row per year for the bloc as a "
                   "whole); repeatable. Default: every partner.")
@click.option("--valuation", type=click.Choice(["cif", "fob"], case_sensitive=False),
              default="cif", show_default=True,
              help="Import valuation where a source has both.")
@click.option("--totals", is_flag=True,
              help="Add bloc subtotals and the totals the sources report (World, groups).")
@click.option("--blocs", "blocs_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="A CSV of your own blocs, laid out like data/blocs.csv.")
@click.option("--chart", is_flag=True,
              help="Draw the balances as bars under the table (table and markdown formats).")
@click.option("--plot", "plot_path", metavar="FILE",
              help="Also write a bar chart of the balances to FILE (.png or .svg; needs "
                   "matplotlib: pip install 'pa-trade[plot]').")
@click.option("--gl", "gl_level", metavar="LEVEL",
              type=click.Choice(["section", "chapter", "heading", "subheading", "group"]),
              help="Add a column gl_LEVEL: the Grubel-Lloyd index of intra-industry trade at "
                   "that product level (needs tariff codes: microdata, tidy hs_code).")
@data_options
@output_options()
def balance(reporter, years, partners, valuation, totals, blocs_file, chart, plot_path,
            gl_level, data_paths, layout, number_style, strict, quiet, fmt, units, raw_text):
    """Exports, imports and balance of REPORTER per partner and year.

    REPORTER is a country (a name in Spanish or English, an ISO code) or a bloc (pa): then
    each member's balances, and the bloc's with each outside partner, intra-bloc trade apart.
    """
    from pa_trade import countries
    from pa_trade.analysis import balance as analysis
    from pa_trade.render import balance_chart, balance_output, balance_plot

    people = fmt in ("table", "markdown")
    check_chart_options(chart, plot_path, people)
    load_blocs(blocs_file)
    reporter_bloc = countries.bloc(reporter)
    reporter_code = None if reporter_bloc else _reporter(reporter)
    year_list = parse_years(years)
    partner_codes, asked_blocs = [], []
    for text in partners:
        found = countries.bloc(text)
        if found:
            asked_blocs.append(found)
        else:
            partner_codes.append(countries.resolve(text, where="--partner"))
    loaded, builtin = load_data(data_paths, layout, number_style, strict, quiet,
                                products=gl_level is not None, valuations=(valuation.upper(),))
    everything = not partner_codes and not asked_blocs
    if reporter_bloc:  # a bloc as partner of a bloc stands for its members (itself: inside)
        for found in asked_blocs:
            partner_codes += [m for m in found.members if m not in partner_codes]
    # asking only for blocs means no single partners, not every partner
    options = dict(years=year_list, partners=None if everything else partner_codes,
                   valuation=valuation.upper(), totals=totals, world=people and everything)
    if reporter_bloc:
        result = analysis.bloc_balance(loaded.flows, reporter_bloc, **options)
    else:
        # people see the Alliance subtotal unless they asked for particular partners;
        # --totals adds it in any case
        blocs = asked_blocs or ([countries.bloc("pa")] if totals or (people and everything)
                                else [])
        result = analysis.balance(loaded.flows, reporter_code, blocs=blocs, **options)
    if people:
        result = analysis.with_total_rows(result)
    if gl_level:  # --gl: a Grubel-Lloyd column, computed and rendered by the products modules
        from pa_trade.analysis.composition import with_gl
        from pa_trade.render_products import balance_gl_output as balance_output

        result = with_gl(result, loaded.flows, gl_level)
    footer = _footer(result, builtin, loaded) if people else None
    shown_units = units or ("millions" if people else "usd")
    drawn = balance_chart(result, shown_units, markdown=fmt == "markdown") if chart else None
    click.echo(balance_output(result, fmt, shown_units, footer, chart=drawn,
                              raw_text=raw_text), nl=False)
    if not people:
        stderr_notes(result.notes, builtin, loaded, quiet)
    if plot_path:
        balance_plot(result, plot_path, "millions" if shown_units == "usd" else shown_units)
        if not quiet:
            say(f"wrote {plot_path}")


def _reporter(text: str) -> str:
    from pa_trade import countries

    code = countries.resolve(text, where="REPORTER")
    if countries.kind(code) != "country":
        raise UsageError(f"{text!r} is not a country or a bloc; balance takes one reporter")
    return code


def _footer(result, builtin: bool, loaded):
    from pa_trade.render import Footer

    sources = sorted({s for value in result.table["sources"] for s in value.split("; ") if s})
    extra = [BUILTIN_NOTE.format(n=len(loaded.flows))] if builtin else []
    return Footer(notes=list(result.notes), sources=sources, extra=extra)


@cli.command(context_settings=CONTEXT)
@click.option("--reporter", "-r", "reporters", multiple=True, metavar="NAME",
              help="Keep only these reporters; repeatable.")
@click.option("--year", "--years", "-y", "years", multiple=True, metavar="YEAR|A-B",
              help="Year or range; repeatable.")
@data_options
@click.option("--format", "-f", "fmt", type=click.Choice(["csv", "tsv", "json"]),
              default="csv", show_default=True, help="Output format.")
@raw_text_option
def flows(reporters, years, data_paths, layout, number_style, strict, quiet, fmt, raw_text):
    """Write the canonical flows of the loaded files (pa-trade's tidy CSV, formats §5).

    Turns DANE or SE files into one tidy table that every command reads back unchanged (the
    ' before a text that starts like a formula is removed on reading).
    """
    import io

    from pa_trade import countries
    from pa_trade import flows as flow_table

    loaded, _ = load_data(data_paths, layout, number_style, strict, quiet)
    frame = loaded.flows
    if reporters:
        codes = [countries.resolve(r, where="--reporter") for r in reporters]
        frame = frame[frame["reporter"].isin(codes)]
    year_list = parse_years(years)
    if year_list:
        frame = frame[frame["year"].isin(year_list)]
    if frame.empty:
        from pa_trade.analysis.balance import coverage
        from pa_trade.errors import DataError

        raise DataError(f"no flows match; {coverage(loaded.flows)}")
    buffer = io.StringIO()
    # JSON is read by programs, not spreadsheets: its text stays as it is
    flow_table.to_tidy_csv(frame, buffer, raw_text=raw_text or fmt == "json")
    text = buffer.getvalue()
    if fmt == "tsv":
        import csv

        rows = csv.reader(io.StringIO(text))
        out = io.StringIO()
        csv.writer(out, delimiter="\t", lineterminator="\n").writerows(rows)
        text = out.getvalue()
    elif fmt == "json":
        import json

        rows = list(csv_rows(text))
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    click.echo(text, nl=False)


def csv_rows(text: str):
    import csv
    import io

    for row in csv.DictReader(io.StringIO(text)):
        row["year"] = int(row["year"])
        row["value_usd"] = float(row["value_usd"])
        if row.get("month"):
            row["month"] = int(row["month"])
        yield row


@cli.command(context_settings=CONTEXT)
@click.argument("names", nargs=-1, required=True)
@click.option("--codes", type=click.Choice(["iso", "dian", "comtrade"]), default="iso",
              show_default=True, help="How to read numeric codes.")
def country(names, codes):
    """Show how names or codes resolve: ISO3, English and Spanish names, DIAN and UN Comtrade
    codes."""
    from pa_trade import countries
    from pa_trade.render import printable

    for text in names:
        found = countries.bloc(text)
        if found:
            click.echo(printable(f"{text}\t{found.code}\t{found.name_en}: "
                                 f"{' '.join(found.members)}"))
            continue
        code = countries.resolve(text, codes=codes)
        numbers = countries.numeric_codes(code)
        click.echo("\t".join([
            printable(text), code, countries.name(code), countries.name(code, "es"),
            "DIAN " + (" ".join(numbers["dian"]) or "-"),
            "Comtrade " + (" ".join(numbers["comtrade"]) or "-"),
        ]))


from pa_trade.fetch_commands import cache, fetch  # noqa: E402, I001
cli.add_command(fetch); cli.add_command(cache)  # noqa: E702


from pa_trade.analysis_commands import matrix, mirror, trend  # noqa: E402, I001
for command in (mirror, trend, matrix): cli.add_command(command)  # noqa: E701


from pa_trade.products_commands import products  # noqa: E402, I001
cli.add_command(products)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    try:
        cli.main(args=argv, prog_name="pa-trade")
    except SystemExit as done:
        _leave(done.code)


def _leave(code) -> None:
    """End the process with `code` once everything is written.

    After a command that loaded pandas, tearing the interpreter down object by object takes
    tens of milliseconds for nothing: when the output is flushed and no other thread runs
    (files are written and closed by then), the process ends at once. Otherwise, as usual.
    """
    threading = sys.modules.get("threading")
    if ("pandas" in sys.modules and isinstance(code, int) and threading is not None
            and threading.active_count() == 1):
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # None: started with the stream closed (`>&-`)
                    stream.flush()
        except (OSError, ValueError):
            sys.exit(code)  # what could not be written is reported the usual way
        os._exit(code)
    sys.exit(code)


def _fail(message: str, code: int) -> None:
    """One line on stderr (when stderr is open), then exit with `code`."""
    message = " ".join(str(message).split())
    say(f"error: {message}")
    sys.exit(int(code))
