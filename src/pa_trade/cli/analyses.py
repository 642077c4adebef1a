"""The commands `mirror`, `trend` and `matrix`: parse options, call the analyses, render.

Only click and light pa_trade modules load at import; pandas, the readers and matplotlib load
when a command runs. The shared options come from `pa_trade.cli.common`.
"""

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
    stderr_notes,
)
from pa_trade.cli.results import kept
from pa_trade.errors import UsageError

VALUATION_HELP = "Import valuation where a source has both."
BLOCS_HELP = "Add the blocs of FILE (the layout of data/blocs.csv) to the built-in ones."


def _country(text: str, role: str) -> str:
    """A country's ISO3 code for a command argument; blocs and aggregates are usage errors."""
    from pa_trade.reference import countries

    if countries.bloc(text):
        raise UsageError(f"{role} {text!r} is a bloc; {role} takes one country")
    code = countries.resolve(text, where=role)
    if countries.kind(code) != "country":
        raise UsageError(f"{role} {text!r} is not a country ({countries.name(code)})")
    return code


def _people(fmt: str) -> bool:
    return fmt in ("table", "markdown")


def _load(data_paths, layout, number_style, strict, quiet, valuation: str):
    """load_data for mirror, trend and matrix: no tariff codes, and only the import
    valuation asked (the one analysis.mirror.reported takes where a source has both), so
    microdata parse faster and share their parsed files with `balance`."""
    return load_data(data_paths, layout, number_style, strict, quiet, products=False,
                     valuations=(valuation.upper(),))


def _footer(builtin: bool, loaded) -> list[str]:
    from pa_trade.paths import BUILTIN_NOTE

    return [BUILTIN_NOTE.format(n=len(loaded.flows))] if builtin else []


@click.command(context_settings=CONTEXT)
@click.argument("country_a", metavar="A")
@click.argument("country_b", metavar="B")
@click.option("--year", "-y", "years", multiple=True, metavar="YEAR|A-B",
              help="Year or range (2015-2022); repeatable. Default: every year in the data.")
@click.option("--valuation", type=click.Choice(["cif", "fob"], case_sensitive=False),
              default="cif", show_default=True, help=VALUATION_HELP)
@data_options
@output_options()
@kept
def mirror(country_a, country_b, years, valuation, data_paths, layout, number_style, strict,
           quiet, fmt, units, raw_text, output_path):
    """What A and B each report about their trade: exports against the partner's imports.

    \b
    One row per year and direction (A to B, B to A): the exporter's exports, the importer's
    imports, the gap (imports - exports) and the ratio (imports / exports), flagged when it
    is outside the normal band.
    """
    from pa_trade.analysis.mirror import mirror as compute_mirror
    from pa_trade.render.analyses import mirror_output

    fmt = check_output(fmt, output_path)
    a = _country(country_a, "A")
    b = _country(country_b, "B")
    year_list = parse_years(years)
    loaded, builtin = _load(data_paths, layout, number_style, strict, quiet, valuation)
    result = compute_mirror(loaded.flows, a, b, years=year_list, valuation=valuation.upper())
    people = _people(fmt)
    units = units or ("millions" if people else "usd")
    footer = _footer(builtin, loaded) if people else []
    emit(mirror_output(result, fmt, units, footer, raw_text=raw_text,
                       notes=machine_notes(result.notes, builtin, loaded)), output_path, quiet)
    if not people:
        stderr_notes(result.notes, builtin, loaded, quiet)


@click.command(context_settings=CONTEXT)
@click.argument("reporter")
@click.option("--partner", "-p", "partners", required=True, multiple=True, metavar="NAME",
              help="Partner country, aggregate (world) or bloc (pa: the sum over its members "
                   "except REPORTER); one.")
@click.option("--years", "--year", "-y", "years", multiple=True, metavar="A-B",
              help="Years or range (2000-2020); repeatable. Default: every year in the data.")
@click.option("--valuation", type=click.Choice(["cif", "fob"], case_sensitive=False),
              default="cif", show_default=True, help=VALUATION_HELP)
@click.option("--summary", is_flag=True,
              help="csv/tsv/json: the growth summary (CAGR, multiple, before/after each "
                   "agreement) instead of the yearly table.")
@click.option("--chart", is_flag=True,
              help="Draw imports and exports per year as bars under the table.")
@click.option("--plot", "plot_path", metavar="FILE",
              help="Also write a chart to FILE (.png or .svg; needs matplotlib).")
@click.option("--ftas", "ftas_path", metavar="FILE",
              help="Agreements to mark, in the layout of data/ftas.csv, added to the built-in "
                   "ones.")
@click.option("--blocs", "blocs_path", metavar="FILE", help=BLOCS_HELP)
@data_options
@output_options()
@kept
def trend(reporter, partners, years, valuation, summary, chart, plot_path, ftas_path,
          blocs_path, data_paths, layout, number_style, strict, quiet, fmt, units,
          raw_text, output_path):
    """Exports, imports and balance of REPORTER with a partner, year by year, and growth.

    REPORTER is a country or a bloc (pa, eu, can-bloc): then the sum over its members of
    each year.

    \b
    Year-on-year change, the compound annual growth (CAGR) and growth multiple over the
    window and, where a trade agreement between the two entered into force inside it, the
    growth before and after (see docs/analyses.md, "trend").
    """
    from pa_trade.analysis.trend import trend as compute_trend
    from pa_trade.reference import countries
    from pa_trade.reference.agreements import read_ftas
    from pa_trade.render.analyses import trend_chart, trend_output, trend_plot

    fmt = check_output(fmt, output_path)
    people = _people(fmt)
    check_chart_options(chart, plot_path, people)
    load_blocs(blocs_path)
    # a bloc as reporter adds up its members of each year, as `balance pa` does
    reporter_code = countries.bloc(reporter) or _country(reporter, "REPORTER")
    if len(partners) > 1:  # click keeps the last of a repeated option: say it instead
        raise UsageError(f"trend follows one partner at a time (given {len(partners)}: "
                         f"{', '.join(partners)}); run it once per partner, or name a bloc "
                         f"(-p pa)")
    partner = partners[0]
    found = countries.bloc(partner)
    partner_arg = found if found else countries.resolve(partner, where="--partner")
    agreements = read_ftas() + (read_ftas(ftas_path) if ftas_path else [])
    year_list = parse_years(years)
    loaded, builtin = _load(data_paths, layout, number_style, strict, quiet, valuation)
    result = compute_trend(loaded.flows, reporter_code, partner_arg, years=year_list,
                           valuation=valuation.upper(), agreements=agreements)
    units = units or ("millions" if people else "usd")
    to_file = output_path not in (None, "-")  # no colour codes in a file
    drawn = trend_chart(result, units, colour=False if to_file else None) if chart else None
    footer = _footer(builtin, loaded) if people else []
    emit(trend_output(result, fmt, units, footer, summary=summary, chart=drawn,
                      raw_text=raw_text, notes=machine_notes(result.notes, builtin, loaded)),
         output_path, quiet)
    if plot_path:
        trend_plot(result, plot_path, "millions" if units == "usd" else units)
        if not quiet:
            from pa_trade.cli.common import say

            say(f"wrote {plot_path}")
    if not people:
        stderr_notes(result.notes, builtin, loaded, quiet)


@click.command(context_settings=CONTEXT)
@click.argument("bloc_arg", metavar="[BLOC]", required=False)
@click.option("--year", "-y", "years", multiple=True, metavar="YEAR",
              help="The year. Default: the latest year in which a member reports trade with "
                   "another.")
@click.option("--bloc", "bloc_name", metavar="NAME",
              help="The bloc whose members of the year make the rows and columns, as the "
                   "BLOC argument does. Default: pa.")
@click.option("--mirror", "use_mirror", is_flag=True,
              help="Fill the matrix from the importers' side (their imports) instead of the "
                   "exporters'.")
@click.option("--valuation", type=click.Choice(["cif", "fob"], case_sensitive=False),
              default="cif", show_default=True,
              help="With --mirror: " + VALUATION_HELP[0].lower() + VALUATION_HELP[1:])
@click.option("--blocs", "blocs_path", metavar="FILE", help=BLOCS_HELP)
@data_options
@output_options()
@kept
def matrix(bloc_arg, years, bloc_name, use_mirror, valuation, blocs_path, data_paths, layout,
           number_style, strict, quiet, fmt, units, raw_text, output_path):
    """Who exports how much to whom inside a bloc in one year (exporters x importers).

    \b
    BLOC (default pa) chooses the members shown: those of the year (eu 2019 has 28, 2020
    has 27). Rows are exporters, columns importers. csv/tsv/json are wide: first column
    `exporter`, then one column per importer ISO3 code, then `year`.
    """
    from pa_trade.analysis.matrix import matrix as compute_matrix
    from pa_trade.reference import countries
    from pa_trade.render.analyses import matrix_output

    fmt = check_output(fmt, output_path)
    load_blocs(blocs_path)
    if bloc_arg and bloc_name and countries.bloc(bloc_arg) != countries.bloc(bloc_name):
        raise UsageError(f"two blocs given, {bloc_arg!r} and --bloc {bloc_name!r}; matrix "
                         f"shows one")
    asked = bloc_arg or bloc_name or "pa"
    found = countries.bloc(asked)
    if found is None:
        known = ", ".join(b.id for b in countries.load_blocs())
        what = f"--bloc {asked!r}" if bloc_name and not bloc_arg else f"BLOC {asked!r}"
        raise UsageError(f"{what} is not a known bloc; known: {known}")
    year_list = parse_years(years)
    if year_list and len(year_list) > 1:
        given = " ".join(f"--year {text}" for text in years)
        raise UsageError(f"matrix takes one year; {given} is {len(year_list)} years")
    loaded, builtin = _load(data_paths, layout, number_style, strict, quiet, valuation)
    year = year_list[0] if year_list else _latest_year(loaded.flows, list(found.members))
    members = found.members_in(year)
    if len(members) < 2:
        raise UsageError(f"the {found.name_en} had {len(members)} member(s) in {year}: no "
                         f"trade between members to show")
    result = compute_matrix(loaded.flows, members, year, mirror=use_mirror,
                            valuation=valuation.upper())
    people = _people(fmt)
    units = units or ("millions" if people else "usd")
    footer = _footer(builtin, loaded) if people else []
    notes = []
    if not people:
        side = "imports as the importers" if use_mirror else "exports as the exporters"
        unit_text = "US dollars" if units == "usd" else f"{units} of US dollars"
        # a part year is said here too: the year column alone would read as a whole year
        period = f"{result.period}, " if result.period != str(result.year) else ""
        notes = [f"values are {side} report them, {result.valuation or 'valuation n/a'}, "
                 f"{period}in {unit_text}; rows export to columns"] + result.notes
        if not year_list:
            notes.insert(0, f"no --year given: {year}, the latest year in which a member "
                            f"reports trade with another")
    emit(matrix_output(result, fmt, units, footer, found.name_en, raw_text=raw_text,
                       notes=machine_notes(notes, builtin, loaded)), output_path, quiet)
    if not people:
        stderr_notes(notes, builtin, loaded, quiet)


def _latest_year(flows, members: list[str]) -> int:
    """The latest year in which a member reports trade with another member."""
    from pa_trade.analysis.balance import coverage
    from pa_trade.errors import DataError

    inside = flows[flows["reporter"].isin(members) & flows["partner"].isin(members)
                   & (flows["reporter"] != flows["partner"])]
    if inside.empty:
        raise DataError(f"no member of the bloc reports trade with another member; "
                        f"{coverage(flows)}")
    return int(inside["year"].max())
