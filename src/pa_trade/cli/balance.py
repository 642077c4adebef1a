"""`pa-trade balance`: exports, imports and balance of a reporter per partner and year."""

from __future__ import annotations

import click

from pa_trade.cli.common import (
    CONTEXT,
    check_chart_options,
    check_output,
    data_options,
    emit,
    load_blocs,
    load_data,
    machine_notes,
    output_options,
    parse_years,
    say,
    stderr_notes,
)
from pa_trade.cli.results import kept
from pa_trade.errors import UsageError


@click.command(context_settings=CONTEXT)
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
@kept
def balance(reporter, years, partners, valuation, totals, blocs_file, chart, plot_path,
            gl_level, data_paths, layout, number_style, strict, quiet, fmt, units, raw_text,
            output_path):
    """Exports, imports and balance of REPORTER per partner and year.

    REPORTER is a country (a name in Spanish or English, an ISO code) or a bloc (pa): then
    each member's balances, and the bloc's with each outside partner, intra-bloc trade apart.
    """
    from pa_trade.analysis import balance as analysis
    from pa_trade.reference import countries
    from pa_trade.render.tables import balance_chart, balance_output, balance_plot

    fmt = check_output(fmt, output_path)
    people = fmt in ("table", "markdown")
    check_chart_options(chart, plot_path, people)
    load_blocs(blocs_file)
    reporter_bloc = countries.bloc(reporter)
    reporter_code = None if reporter_bloc else _reporter(reporter)
    year_list = parse_years(years)
    partner_codes, asked_blocs = [], []
    for text in _listed(partners):
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
    result = analysis.with_official(result)  # the offices' own balances, where published
    if people:
        result = analysis.with_published_rows(analysis.with_total_rows(result))
    if gl_level:  # --gl: a Grubel-Lloyd column, computed and rendered by the products modules
        from pa_trade.analysis.composition import with_gl
        from pa_trade.render.products import balance_gl_output as balance_output

        result = with_gl(result, loaded.flows, gl_level)
    footer = _footer(result, builtin, loaded) if people else None
    shown_units = units or ("millions" if people else "usd")
    to_file = output_path not in (None, "-")  # no colour codes in a file
    drawn = (balance_chart(result, shown_units, markdown=fmt == "markdown",
                           colour=False if to_file else None) if chart else None)
    emit(balance_output(result, fmt, shown_units, footer, chart=drawn, raw_text=raw_text,
                        notes=machine_notes(result.notes, builtin, loaded)),
         output_path, quiet)
    if not people:
        stderr_notes(result.notes, builtin, loaded, quiet)
    if plot_path:
        balance_plot(result, plot_path, "millions" if shown_units == "usd" else shown_units)
        if not quiet:
            say(f"wrote {plot_path}")


def _listed(texts) -> list[str]:
    """Partners as given, a list in one option split ('usa,china', as -y 2018,2020 is),
    unless the whole text is a name ('Korea, Rep. of')."""
    from pa_trade.reference import countries

    out = []
    for text in texts:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        whole = countries.lookup(text) or countries.bloc(text)
        if len(parts) > 1 and not whole and all(countries.lookup(p) or countries.bloc(p)
                                                for p in parts):
            out.extend(parts)
        else:
            out.append(text)
    return out


def _reporter(text: str) -> str:
    from pa_trade.reference import countries

    code = countries.resolve(text, where="REPORTER")
    if countries.kind(code) != "country":
        raise UsageError(f"{text!r} is not a country or a bloc; balance takes one reporter")
    return code


def _footer(result, builtin: bool, loaded):
    from pa_trade.render.tables import Footer

    sources = sorted({s for value in result.table["sources"] for s in value.split("; ") if s})
    from pa_trade.paths import BUILTIN_NOTE

    extra = [BUILTIN_NOTE.format(n=len(loaded.flows))] if builtin else []
    return Footer(notes=list(result.notes), sources=sources, extra=extra)
