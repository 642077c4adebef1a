"""`pa-trade flows` (the canonical flows as tidy CSV, TSV or JSON) and `pa-trade country`
(how a name or code resolves)."""

from __future__ import annotations

import click

from pa_trade.cli.common import CONTEXT, data_options, load_data, parse_years, raw_text_option
from pa_trade.errors import UsageError


@click.command(context_settings=CONTEXT)
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

    from pa_trade import flows as flow_table
    from pa_trade.reference import countries

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


@click.command(context_settings=CONTEXT)
@click.argument("names", nargs=-1, required=True)
@click.option("--codes", type=click.Choice(["iso", "dian", "comtrade"]), default="iso",
              show_default=True, help="How to read numeric codes.")
def country(names, codes):
    """Show how names or codes resolve: ISO3, English and Spanish names, DIAN and UN Comtrade
    codes."""
    from pa_trade.errors import UnknownCountry
    from pa_trade.reference import countries
    from pa_trade.render.tables import printable

    unknown: list[str] = []
    for text in names:
        found = countries.bloc(text)
        if found:
            click.echo(printable(f"{text}\t{found.code}\t{found.name_en}: "
                                 f"{' '.join(found.members)}"))
            continue
        try:
            code = countries.resolve(text, codes=codes)
        except UnknownCountry as exc:  # every name given is answered; the unknown ones last
            unknown.append(str(exc))
            continue
        numbers = countries.numeric_codes(code)
        click.echo("\t".join([
            printable(text), code, countries.name(code), countries.name(code, "es"),
            "DIAN " + (" ".join(numbers["dian"]) or "-"),
            "Comtrade " + (" ".join(numbers["comtrade"]) or "-"),
        ]))
    if unknown:
        raise UsageError("; ".join(unknown) if len(unknown) > 1 else unknown[0])
