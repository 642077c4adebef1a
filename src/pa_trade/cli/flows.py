"""`pa-trade flows` (the canonical flows as tidy CSV, TSV, JSON or Parquet) and `pa-trade
country` (how a name or code resolves)."""

from __future__ import annotations

import click

from pa_trade.cli.common import (
    CONTEXT,
    check_output,
    data_options,
    emit,
    format_given,
    load_data,
    parse_years,
    raw_text_option,
    say,
)
from pa_trade.cli.results import kept, unkept
from pa_trade.errors import UsageError

FLOW_FORMATS = ("csv", "tsv", "json", "parquet")


@click.command(context_settings=CONTEXT)
@click.option("--reporter", "-r", "reporters", multiple=True, metavar="NAME",
              help="Keep only these reporters; repeatable.")
@click.option("--year", "--years", "-y", "years", multiple=True, metavar="YEAR|A-B",
              help="Year or range; repeatable.")
@data_options
@click.option("--format", "-f", "fmt", type=click.Choice(FLOW_FORMATS),
              default="csv", show_default=True,
              help="Output format. parquet: the canonical table for DuckDB, polars or Spark, "
                   "written to --output (FILE.parquet: one file; a FOLDER: one file per "
                   "reporter and year, reporter=COL/year=2023/part-0.parquet).")
@click.option("--output", "-o", "output_path", metavar="PATH",
              help="Write to PATH (whole, or not at all) instead of standard output; needed "
                   "for parquet. A PATH ending in .parquet without --format writes Parquet. "
                   "A folder is written only when new, empty, or written by pa-trade before "
                   "(then replaced).")
@raw_text_option
@kept
def flows(reporters, years, data_paths, layout, number_style, strict, quiet, fmt, output_path,
          raw_text):
    """Write the canonical flows of the loaded files (pa-trade's tidy CSV, formats §5), or
    the same table as Parquet.

    Turns DANE or SE files into one tidy table that every command reads back unchanged (the
    ' before a text that starts like a formula is removed on reading; Parquet keeps every
    text as it is). `--data` reads the Parquet file or folder back.
    """
    import io

    from pa_trade import flows as flow_table
    from pa_trade.reference import countries

    fmt = _flows_format(fmt, output_path)
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
    if fmt == "parquet":
        unkept()  # files written beside the result: not replayed
        written = flow_table.write_parquet(frame, output_path)
        if not quiet:
            files = f"{len(written)} files" if len(written) > 1 else "1 file"
            say(f"wrote {output_path}: {len(frame):,} flows in {files}")
        return
    if fmt in ("csv", "tsv"):  # written a chunk of rows at a time, column by column
        emit(flow_table.tidy_lines(frame, raw_text=raw_text,
                                   delimiter="," if fmt == "csv" else "\t"),
             output_path, quiet)
        return
    import json

    buffer = io.StringIO()
    # JSON is read by programs, not spreadsheets: its text stays as it is
    flow_table.to_tidy_csv(frame, buffer, raw_text=True)
    rows = list(csv_rows(buffer.getvalue()))
    emit(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", output_path, quiet)


def _flows_format(fmt: str, output_path: str | None) -> str:
    """The format to write once --format and --output agree, checked before anything is
    read: parquet needs a file or folder (never standard output); a name ending in .parquet
    without --format means parquet."""
    parquet_name = output_path is not None and output_path.lower().endswith(".parquet")
    if parquet_name and not format_given():
        fmt = "parquet"
    if fmt == "parquet":
        if output_path is None:
            raise UsageError("--format parquet writes files: give --output FILE.parquet (one "
                             "file) or --output FOLDER (one file per reporter and year)")
        if output_path == "-":
            raise UsageError("--format parquet cannot go to standard output (-o -): a Parquet "
                             "reader starts at the end of the file; give --output "
                             "FILE.parquet or --output FOLDER")
        from pa_trade.flows import parquet_target

        parquet_target(output_path)
        return fmt
    if parquet_name:
        raise UsageError(f"--output {output_path}: a .parquet file is Parquet, and "
                         f"--format {fmt} is text; use --format parquet")
    if check_output(fmt, output_path) != fmt:  # a name ending in .xlsx
        raise UsageError(f"--output {output_path}: flows writes csv, tsv, json or parquet, "
                         f"not a workbook")
    return fmt


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
