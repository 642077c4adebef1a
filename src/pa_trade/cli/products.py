"""The command `products`: what is traded, product by product (rendered by render.products).

Only click and light pa_trade modules load at import; pandas, the readers and tabulate load
when a command runs, so `pa-trade --help` stays instant.
"""

from __future__ import annotations

import click

from pa_trade.cli.common import CONTEXT, check_output, data_options, emit, output_options
from pa_trade.cli.results import kept
from pa_trade.reference.products import LEVELS


@click.command(context_settings=CONTEXT)
@click.argument("reporter")
@click.option("--partner", "-p", "partners", multiple=True, metavar="NAME",
              help="Partner country, bloc (pa: the sum over its members other than REPORTER) "
                   "or world; repeatable. Default: the World (every partner together).")
@click.option("--year", "--years", "-y", "years", multiple=True, metavar="YEAR|A-B",
              help="Year or range (2015-2022); repeatable. Default: every year in the data.")
@click.option("--level", "-l", type=click.Choice(LEVELS), default="chapter", show_default=True,
              help="Product level: HS section (I-XXI), chapter (2 digits), heading (4), "
                   "subheading (6), or broad group (agriculture, mining, manufactures).")
@click.option("--top", type=click.IntRange(min=1), metavar="N",
              help="Keep the N largest products of each partner and year; the others add up "
                   "in one 'Other products' row.")
@click.option("--flow", type=click.Choice(["export", "import"]),
              help="Rank by exports (or imports) and list only products with some.")
@click.option("--gl", "show_gl", is_flag=True,
              help="Add the Grubel-Lloyd index of intra-industry trade per partner and year.")
@click.option("--gl-level", type=click.Choice(LEVELS), default="subheading", show_default=True,
              help="The product level the Grubel-Lloyd index is computed at.")
@click.option("--valuation", type=click.Choice(["cif", "fob"], case_sensitive=False),
              default="cif", show_default=True, help="Import valuation where a source has both.")
@data_options
@output_options()
@kept
def products(reporter, partners, years, level, top, flow, show_gl, gl_level, valuation,
             data_paths, layout, number_style, strict, quiet, fmt, units, raw_text, output_path):
    """Exports, imports, shares and balance of REPORTER per product, with each partner.

    \b
    Products come from the tariff codes of customs microdata (DANE's POSAR and NABAN), tidy
    files with hs_code, or `fetch comtrade --level chapter`. Flows without a tariff code are
    left out and their value is named in a note.

    \b
    Examples:
      pa-trade products colombia -d expo.csv -d impo.csv --level chapter --top 10
      pa-trade products colombia -p mexico --level group --gl -d expo.csv -d impo.csv
    """
    from pa_trade.analysis.composition import composition
    from pa_trade.cli.common import load_data, machine_notes, parse_years, stderr_notes
    from pa_trade.errors import UsageError
    from pa_trade.reference import countries
    from pa_trade.render.products import products_machine, products_people, unit_note

    fmt = check_output(fmt, output_path)
    if countries.bloc(reporter):
        raise UsageError(f"REPORTER {reporter!r} is a bloc; products takes one country (trade "
                         f"with a bloc: --partner {reporter})")
    code = countries.resolve(reporter, where="REPORTER")
    if countries.kind(code) != "country":
        raise UsageError(f"REPORTER {reporter!r} is not a country ({countries.name(code)})")
    asked = []
    for text in partners:
        found = countries.bloc(text)
        asked.append(found if found else countries.resolve(text, where="--partner"))
    year_list = parse_years(years)
    loaded, builtin = load_data(data_paths, layout, number_style, strict, quiet, products=True,
                                valuations=(valuation.upper(),))
    # handed over: composition frees the loaded table once the products are summed
    result = composition(loaded.hand_over(), code, asked or None, year_list, level=level,
                         valuation=valuation.upper(), top=top, flow=flow,
                         gl_level=gl_level if show_gl else None, give_memory_back=True)
    people = fmt in ("table", "markdown")
    units = units or ("millions" if people else "usd")
    if people:
        emit(products_people(result, fmt, units, builtin, loaded.row_count), output_path,
             quiet)
        return
    notes = [unit_note(result, units)] + result.notes
    emit(products_machine(result, fmt, units, raw_text=raw_text,
                          notes=machine_notes(notes, builtin, loaded)), output_path, quiet)
    stderr_notes(notes, builtin, loaded, quiet)


# -- rendering: products ---------------------------------------------------------------
