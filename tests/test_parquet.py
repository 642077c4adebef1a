"""The canonical table as Parquet, out (`flows -f parquet -o FILE.parquet | FOLDER`) and in
(`--data`, layout parquet): a round trip gives the same answers as the source files, DuckDB
reads the written folder as one table with the same sums, any canonical table comes back
exactly, and bad inputs and targets fail in one line with a documented exit code."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pa_trade import flows, readers
from pa_trade.errors import ExitCode
from tests.conftest import FIXTURES, ROOT

REAL = ROOT.parent / "shared" / "realdata" / "hunt1" / "dane-expo-2023"
EXAMPLE = ROOT / "examples" / "pa_trade_2000_2020.csv"
TIDY = FIXTURES / "tidy_month_hs_code.csv"
# committed files of every kind of source: microdata, tables, tidy files, the offices' and
# the international organisations' downloads, the built-in figures
SOURCES = [
    "dane_expo_yymm_latin1_semicolon.csv",
    "dane_expo_damaged_rows.csv",
    "dane_impo_yyyymm_utf8bom.csv",
    "dane_cuadro_expo_millones_fob_latin1_crlf.csv",
    "dane_cuadro_impo_miles_cif_utf8bom_tab.txt",
    "mexico_se_balanza_miles_utf8bom_comma.csv",
    "tidy_month_hs_code.csv",
    "tidy_bad_rows.csv",
    "anexos",
    "aduanas/salidas_2024_example.csv",
    "aduanas/ingresos2024_example.csv",
    "comtrade/api_answer_2021_peru_partners.json",
    "comtrade/comtradeplus_download_2023_monthly_products.csv",
    "comtrade/legacy_comtrade_2016_monthly_hs4_crlf.csv",
    "imf/DOTS_43_example.xlsx",
    "imf/imts_example.csv.gz",
    "imf/imts_example.xml",
    "inegi",
    "sunat/cdro_G6_example.xlsx",
    "sunat/cdro_G6_2022_displayed.csv",
    "releases/Expo_2022.zip",
    "releases/expo_2025-12_iso_numeric.csv",
]
SOURCE_PATHS = [FIXTURES / name for name in SOURCES] + [EXAMPLE, ROOT / "data" / "flows"]


def flows_csv(run, *data: Path | str) -> str:
    args = [a for path in data for a in ("-d", str(path))]
    result = run("flows", *args, "-q", "--no-cache")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def write(run, target: Path, *data: Path | str, fmt: tuple[str, ...] = ("-f", "parquet")):
    args = [a for path in data for a in ("-d", str(path))]
    result = run("flows", *args, "-q", *fmt, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    return result


def one_line_error(result, code: ExitCode, *words: str) -> str:
    """The error of a failed run: its exit code, one line on stderr, nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("pa-trade: error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def partitions(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.parquet"))


# --- round trips ---------------------------------------------------------------------------

@pytest.mark.parametrize("source", SOURCE_PATHS, ids=[p.name for p in SOURCE_PATHS])
def test_flows_read_back_from_parquet_are_the_source_flows_byte_for_byte(run, tmp_path, source):
    expected = flows_csv(run, source)
    write(run, tmp_path / "flows", source)
    write(run, tmp_path / "flows.parquet", source)
    assert flows_csv(run, tmp_path / "flows") == expected
    assert flows_csv(run, tmp_path / "flows.parquet") == expected


def test_a_folder_is_partitioned_by_reporter_and_year_without_those_columns(run, tmp_path):
    import pyarrow.parquet as pq

    result = write(run, tmp_path / "out", TIDY)
    assert result.stderr == ""  # -q
    assert partitions(tmp_path / "out") == [
        "reporter=CHL/year=2022/part-0.parquet", "reporter=COL/year=2021/part-0.parquet",
        "reporter=COL/year=2022/part-0.parquet", "reporter=MEX/year=2022/part-0.parquet",
        "reporter=PER/year=2022/part-0.parquet"]
    part = pq.read_schema(tmp_path / "out" / "reporter=COL" / "year=2022" / "part-0.parquet")
    assert part.names == ["partner", "month", "months", "flow", "value_usd", "valuation",
                          "source", "hs_code"]
    assert part.metadata[b"pa_trade.partitioning"] == b"hive: reporter, year"
    write(run, tmp_path / "all.parquet", TIDY)
    assert pq.read_schema(tmp_path / "all.parquet").names == flows.COLUMNS


def shown_type(arrow_type) -> str:
    """'dictionary<int32, string>' as the docs write a dictionary-encoded text column."""
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        return f"dictionary<{arrow_type.index_type}, {arrow_type.value_type}>"
    return str(arrow_type)


def test_the_schema_is_the_documented_one_with_pa_trades_metadata(run, tmp_path):
    import pyarrow.parquet as pq

    from pa_trade import __version__

    write(run, tmp_path / "all.parquet", TIDY)
    schema = pq.read_schema(tmp_path / "all.parquet")
    assert schema.metadata[b"pa_trade.schema_version"] == b"1"
    assert schema.metadata[b"pa_trade.version"] == __version__.encode()
    assert str(schema.field("value_usd").type) == "decimal128(18, 2)"
    # the table of docs/flows-and-country.md: `column` | `Arrow type` | meaning
    page = (ROOT / "docs" / "flows-and-country.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", page, flags=re.M))
    assert documented == {field.name: shown_type(field.type) for field in schema}


def test_a_folder_written_by_pa_trade_is_replaced_whole(run, tmp_path):
    target = tmp_path / "out"
    write(run, target, TIDY)
    result = write(run, target, EXAMPLE, fmt=("-f", "parquet", "-y", "2020"))
    assert all("year=2020" in p for p in partitions(target))  # no partition of before stays
    assert flows_csv(run, target) == run("flows", "-d", str(EXAMPLE), "-y", "2020",
                                         "-q").stdout
    assert not [p for p in target.iterdir() if p.name.startswith(".")]  # nothing left over
    assert result.exit_code == 0


def test_the_wrote_line_says_how_many_flows_and_files(run, tmp_path):
    result = run("flows", "-d", str(TIDY), "-o", str(tmp_path / "x.parquet"))
    assert result.exit_code == 0 and result.stdout == ""
    assert f"pa-trade: wrote {tmp_path / 'x.parquet'}: 13 flows in 1 file" in result.stderr


def test_output_for_text_formats_writes_the_file_stdout_would_get(run, tmp_path):
    for fmt in ("csv", "tsv", "json"):
        shown = run("flows", "-d", str(TIDY), "-q", "-f", fmt).stdout
        write(run, tmp_path / f"flows.{fmt}", TIDY, fmt=("-f", fmt))
        assert (tmp_path / f"flows.{fmt}").read_text(encoding="utf-8") == shown


@pytest.mark.parametrize("command", [
    ("balance", "colombia", "-y", "2022", "-f", "csv"),
    ("balance", "mexico", "-f", "csv"),
    ("mirror", "colombia", "mexico", "-f", "csv"),
    ("products", "colombia", "-f", "csv"),
    ("trend", "colombia", "-f", "csv"),
])
@pytest.mark.parametrize("source", [TIDY, EXAMPLE, ROOT / "data" / "flows"],
                         ids=["tidy_month_hs_code", "example", "builtin"])
def test_every_answer_from_parquet_is_the_answer_from_the_source(run, tmp_path, command, source):
    expected = run(*command, "-d", str(source), "-q", "--no-cache")
    write(run, tmp_path / "flows", source)
    again = run(*command, "-d", str(tmp_path / "flows"), "-q", "--no-cache")
    assert (again.exit_code, again.stdout) == (expected.exit_code, expected.stdout)


def test_real_dane_months_round_trip_with_the_same_answers(run, tmp_path):
    files = sorted(REAL.glob("2023-0*.csv")) if REAL.is_dir() else []
    if len(files) != 6:
        pytest.skip("the real DANE files of shared/realdata/hunt1 are absent")
    expected = flows_csv(run, REAL)
    write(run, tmp_path / "dane", REAL)
    write(run, tmp_path / "dane.parquet", REAL)
    assert flows_csv(run, tmp_path / "dane") == expected
    assert flows_csv(run, tmp_path / "dane.parquet") == expected
    assert partitions(tmp_path / "dane") == ["reporter=COL/year=2023/part-0.parquet"]
    for command in (("balance", "colombia", "-f", "csv"),
                    ("balance", "colombia", "-m", "1-3", "-f", "csv"),
                    ("products", "colombia", "-p", "usa", "--level", "chapter", "-f", "csv")):
        source = run(*command, "-d", str(REAL), "-q")
        again = run(*command, "-d", str(tmp_path / "dane"), "-q")
        assert source.exit_code == again.exit_code == 0, again.stderr
        assert again.stdout == source.stdout
    # the Parquet file is far smaller than the CSVs it stands for
    assert (tmp_path / "dane.parquet").stat().st_size < sum(f.stat().st_size for f in files) / 5


# --- DuckDB --------------------------------------------------------------------------------

def cents_by_key(frame) -> dict:
    """{(reporter, partner, year, flow): whole cents} of canonical flows."""
    cents = (frame["value_usd"] * 100).round().astype("int64")
    summed = cents.groupby([frame["reporter"], frame["partner"], frame["year"],
                            frame["flow"]]).sum()
    return {key: int(value) for key, value in summed.items()}


@pytest.mark.parametrize("source", [TIDY, EXAMPLE, FIXTURES / "anexos"],
                         ids=["tidy_month_hs_code", "example", "anexos"])
def test_duckdb_reads_the_written_folder_as_one_table_with_the_same_sums(run, tmp_path,
                                                                         source):
    import duckdb
    write(run, tmp_path / "flows", source)
    expected = cents_by_key(readers.load([str(source)], use_cache=False).flows)
    glob = str(tmp_path / "flows" / "**" / "*.parquet")
    with duckdb.connect() as db:
        types = {row[0]: row[1] for row in db.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning = true)"
        ).fetchall()}
        rows = db.execute(
            f"SELECT reporter, partner, year, flow, sum(value_usd) * 100 FROM "
            f"read_parquet('{glob}', hive_partitioning = true) GROUP BY ALL").fetchall()
        version = db.execute(
            f"SELECT DISTINCT value FROM parquet_kv_metadata('{glob}') "
            f"WHERE key = 'pa_trade.schema_version'").fetchall()
    assert types["value_usd"] == "DECIMAL(18,2)" and types["reporter"] == "VARCHAR"
    assert {(r, p, int(y), f): int(c) for r, p, y, f, c in rows} == expected
    assert version == [(b"1",)]


def test_duckdb_can_write_the_table_back_and_pa_trade_reads_it(run, tmp_path):
    """A user who works on the table in DuckDB and writes it back, partitioned its own way
    (data_0.parquet, DECIMAL(38,2) after a sum), gives pa-trade the same flows."""
    import duckdb
    write(run, tmp_path / "flows", EXAMPLE)
    glob = str(tmp_path / "flows" / "**" / "*.parquet")
    with duckdb.connect() as db:
        db.execute(
            f"COPY (SELECT reporter, partner, year, month, months, flow, "
            f"sum(value_usd) AS value_usd, valuation, source, hs_code "
            f"FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY ALL) "
            f"TO '{tmp_path / 'again'}' (FORMAT parquet, PARTITION_BY (reporter, year))")
    assert flows_csv(run, tmp_path / "again") == flows_csv(run, EXAMPLE)


# --- any canonical table, exactly ----------------------------------------------------------

REPORTERS = ["CHL", "COL", "MEX", "PER"]
PARTNERS = ["CHL", "COL", "MEX", "PER", "USA", "CHN", "DEU", "BRA", "WLD"]


@st.composite
def canonical_tables(draw):
    """A canonical table as readers give it: one row per flow (reporter, partner, period,
    flow, valuation, product), any amount a float holds to the cent, any source text."""
    import pandas as pd

    rows, seen = [], set()
    for _ in range(draw(st.integers(1, 25))):
        reporter = draw(st.sampled_from(REPORTERS))
        month = draw(st.none() | st.integers(1, 12))
        row = {
            "reporter": reporter,
            "partner": draw(st.sampled_from([p for p in PARTNERS if p != reporter])),
            "year": draw(st.integers(1900, 2099)),
            "month": month,
            "months": None if month is not None else draw(
                st.none() | st.sampled_from(["1-6", "1-7", "3", "1-3,7", "10-11"])),
            "flow": draw(st.sampled_from(flows.FLOWS)),
            "valuation": draw(st.sampled_from(flows.VALUATIONS)),
            "hs_code": draw(st.none() | st.from_regex(r"[0-9]{2,10}", fullmatch=True)),
        }
        key = tuple(row.values())
        if key in seen:
            continue
        seen.add(key)
        cents = draw(st.integers(-(10**15), 10**15))  # up to ten trillion dollars
        row["value_usd"] = cents / 100
        row["source"] = draw(st.text(st.characters(exclude_categories=("Cs",)), min_size=1,
                                     max_size=20))
        rows.append(row)
    return flows.normalise_frame(pd.DataFrame(rows))


def tidy_text(frame) -> str:
    out = io.StringIO()
    flows.to_tidy_csv(frame, out, raw_text=True)
    return out.getvalue()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=canonical_tables())
def test_any_canonical_table_comes_back_exactly(tmp_path_factory, table):
    import pandas as pd

    folder = tmp_path_factory.mktemp("roundtrip")
    written = tidy_text(table)
    for target in (folder / "flows.parquet", folder / "flows"):
        flows.write_parquet(table, str(target))
        loaded = readers.load([str(target)], use_cache=False)
        assert loaded.set_aside_count == 0
        assert all(report.balanced for report in loaded.reports)
        back = loaded.flows
        assert tidy_text(back) == written
        ordered = [frame.sort_values(flows.TIDY_ORDER).reset_index(drop=True)
                   for frame in (table, back)]
        pd.testing.assert_frame_equal(*ordered)  # the same dtypes, every float bit for bit


def test_every_amount_is_stored_as_the_cents_the_tidy_csv_writes(tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq

    amounts = [41352427995621.77, 42294673073372.37, 1752000000, 23885.1, 0.29, 1.15, 4.35,
               -0.01, -0.0, 0.0]
    table = flows.normalise_frame(pd.DataFrame({
        "reporter": "COL", "partner": ["USA", "MEX", "PER", "CHL", "CHN", "BRA", "DEU", "ECU",
                                       "ARG", "WLD"],
        "year": 2023, "flow": "export", "value_usd": amounts, "valuation": "FOB",
        "source": "s"}))
    flows.write_parquet(table, str(tmp_path / "x.parquet"))
    stored = pq.read_table(tmp_path / "x.parquet").column("value_usd").to_pylist()
    expected = sorted(f"{v:.2f}".replace("-0.00", "0.00") for v in table["value_usd"])
    assert sorted(str(v) for v in stored) == expected
    assert tidy_text(readers.load([str(tmp_path / "x.parquet")]).flows) == tidy_text(table)


# --- other ways in: stdin, archives, forced layout, other writers --------------------------

def test_parquet_comes_in_on_standard_input_and_in_a_zip(run, tmp_path):
    expected = flows_csv(run, TIDY)
    write(run, tmp_path / "one.parquet", TIDY)
    data = (tmp_path / "one.parquet").read_bytes()
    assert run("flows", "-d", "-", "-q", input=data).stdout == expected
    write(run, tmp_path / "flows", TIDY)
    archive = tmp_path / "flows.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in partitions(tmp_path / "flows"):
            zipped.write(tmp_path / "flows" / part, f"flows/{part}")
    assert flows_csv(run, archive) == expected


def test_a_gzipped_parquet_file_is_read(run, tmp_path):
    import gzip

    write(run, tmp_path / "one.parquet", TIDY)
    packed = tmp_path / "one.parquet.gz"
    packed.write_bytes(gzip.compress((tmp_path / "one.parquet").read_bytes()))
    assert flows_csv(run, packed) == flows_csv(run, TIDY)


def test_partitions_with_the_same_bytes_are_different_years_not_one_file_twice(run, tmp_path):
    """The files of reporter=COL/year=2022 and year=2023 hold no year: with the same flows
    in both years their bytes are the same, and both are read."""
    source = tmp_path / "same.csv"
    source.write_text("reporter,partner,year,flow,value_usd,valuation,source\n"
                      "COL,USA,2022,export,5,FOB,s\nCOL,USA,2023,export,5,FOB,s\n",
                      encoding="utf-8")
    write(run, tmp_path / "flows", source)
    parts = sorted((tmp_path / "flows").rglob("*.parquet"))
    assert len(parts) == 2 and parts[0].read_bytes() == parts[1].read_bytes()
    result = run("flows", "-d", str(tmp_path / "flows"))
    assert result.stdout == flows_csv(run, source) and "skipped" not in result.stderr


def test_layout_parquet_can_be_forced_and_other_layouts_are_refused(run, tmp_path):
    write(run, tmp_path / "one.parquet", TIDY)
    renamed = tmp_path / "one.bin"
    renamed.write_bytes((tmp_path / "one.parquet").read_bytes())
    forced = run("flows", "-d", str(renamed), "--layout", "parquet", "-q")
    assert forced.exit_code == 0 and forced.stdout == flows_csv(run, TIDY)
    one_line_error(run("flows", "-d", str(tmp_path / "one.parquet"), "--layout", "tidy"),
                   ExitCode.DATA, "a Parquet file holds the canonical table")
    one_line_error(run("flows", "-d", str(TIDY), "--layout", "parquet"), ExitCode.DATA,
                   "not a Parquet file that can be read")


def test_a_table_from_elsewhere_with_other_types_and_extra_columns_is_read(run, tmp_path):
    """Plain strings, int64 years, float64 values, upper-case names, a column of its own: a
    table polars or pandas wrote with the canonical columns reads as the tidy CSV would."""
    import pandas as pd

    frame = pd.read_csv(TIDY, dtype={"hs_code": str})
    frame = frame.rename(columns={"reporter": "Reporter"}).assign(note="mine")
    frame.to_parquet(tmp_path / "pandas.parquet", index=False)
    result = run("flows", "-d", str(tmp_path / "pandas.parquet"), "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == flows_csv(run, TIDY)
    assert "note: column(s) note are not of the canonical table: not read" in result.stderr


def test_rows_that_fail_the_checks_are_set_aside_with_their_row_numbers(run, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "reporter": ["COL", "COL", "COL", "XXX", "COL", "COL", "COL"],
        "partner": ["USA", "MEX", "MEX", "USA", "COL", "PER", "CHL"],
        "year": pa.array([2023, 2023, 2023, 2023, 2023, 1850, 2023], pa.int32()),
        "flow": ["export", "export", "export", "export", "export", "export", "exports"],
        "value_usd": [1.5, 2.0, 2.0, 3.0, 4.0, 5.0, float("nan")],
        "valuation": ["FOB"] * 7,
    })
    pq.write_table(table, tmp_path / "other.parquet")
    result = run("flows", "-d", str(tmp_path / "other.parquet"))
    assert result.exit_code == 0
    report = result.stderr
    assert "set aside 1 row [unknown-country]" in report and "row 4 ('XXX')" in report
    assert "[duplicate-row]" in report and "row 3 (same flow and figure as line 2)" in report
    assert "[reporter-is-partner]" in report and "[bad-field]" in report
    assert "[bad-number]" in report and "row 7 (value_usd 'nan')" in report
    loaded = readers.load([str(tmp_path / "other.parquet")])
    assert loaded.reports[0].balanced and loaded.reports[0].rows_read == 7
    assert len(loaded.flows) == 2
    strict = run("flows", "-d", str(tmp_path / "other.parquet"), "--strict")
    one_line_error(strict, ExitCode.DATA, "--strict", "row 3")


# --- refusals ------------------------------------------------------------------------------

def test_parquet_needs_a_file_or_folder_never_standard_output(run):
    one_line_error(run("flows", "-d", str(TIDY), "-f", "parquet"), ExitCode.USAGE,
                   "--output FILE.parquet")
    one_line_error(run("flows", "-d", str(TIDY), "-f", "parquet", "-o", "-"), ExitCode.USAGE,
                   "standard output")


def test_a_folder_of_other_files_is_never_written_into(run, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    line = one_line_error(run("flows", "-d", str(TIDY), "-f", "parquet", "-o", str(folder)),
                          ExitCode.USAGE, "notes.txt", "nothing was written")
    assert "not part of a pa-trade Parquet dataset" in line
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    # a partition that pa-trade did not write (another tool's file) is not replaced either
    other = tmp_path / "other" / "reporter=COL" / "year=2023"
    other.mkdir(parents=True)
    import pandas as pd

    pd.DataFrame({"x": [1]}).to_parquet(other / "part-0.parquet")
    one_line_error(run("flows", "-d", str(TIDY), "-o", str(tmp_path / "other"), "-f",
                       "parquet"), ExitCode.USAGE, "a Parquet file pa-trade did not write")


def test_other_targets_that_cannot_be_written(run, tmp_path):
    plain = tmp_path / "flows"
    plain.write_text("a file", encoding="utf-8")
    one_line_error(run("flows", "-d", str(TIDY), "-f", "parquet", "-o", str(plain)),
                   ExitCode.USAGE, "is a file not named .parquet")
    one_line_error(run("flows", "-d", str(TIDY), "-f", "parquet", "-o",
                       str(tmp_path / "missing" / "x.parquet")), ExitCode.INPUT,
                   "no such folder")
    one_line_error(run("flows", "-d", str(TIDY), "-f", "csv", "-o",
                       str(tmp_path / "x.parquet")), ExitCode.USAGE, "use --format parquet")
    one_line_error(run("flows", "-d", str(TIDY), "-o", str(tmp_path / "x.xlsx")),
                   ExitCode.USAGE, "not a workbook")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flows"]


def test_a_file_of_the_wrong_shape_is_one_line_naming_what_is_wrong(run, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"partner": ["USA"], "value": [1.0]}), tmp_path / "a.parquet")
    one_line_error(run("flows", "-d", str(tmp_path / "a.parquet")), ExitCode.DATA,
                   "missing column(s) reporter, year, flow, value_usd, valuation")
    write(run, tmp_path / "ok.parquet", TIDY)
    table = pq.read_table(tmp_path / "ok.parquet")
    numeric = table.set_column(table.schema.get_field_index("hs_code"), "hs_code",
                               pa.array([901] * table.num_rows, pa.int64()))
    pq.write_table(numeric, tmp_path / "b.parquet")
    one_line_error(run("flows", "-d", str(tmp_path / "b.parquet")), ExitCode.DATA,
                   "column hs_code is int64", "'09' is not 9")
    years = table.set_column(table.schema.get_field_index("year"), "year",
                             pa.array(["2022"] * table.num_rows))
    pq.write_table(years, tmp_path / "c.parquet")
    one_line_error(run("flows", "-d", str(tmp_path / "c.parquet")), ExitCode.DATA,
                   "column year is string", "an integer")
    (tmp_path / "d.parquet").write_bytes(b"reporter,partner\nCOL,USA\n")
    one_line_error(run("flows", "-d", str(tmp_path / "d.parquet")), ExitCode.DATA,
                   "not a Parquet file that can be read")
    cut = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "e.parquet").write_bytes(cut[: len(cut) // 2])
    one_line_error(run("flows", "-d", str(tmp_path / "e.parquet")), ExitCode.DATA,
                   "not a Parquet file that can be read")
    newer = table.replace_schema_metadata({**table.schema.metadata,
                                           b"pa_trade.schema_version": b"2"})
    pq.write_table(newer, tmp_path / "f.parquet")
    one_line_error(run("flows", "-d", str(tmp_path / "f.parquet")), ExitCode.DATA,
                   "Parquet schema 2", "reads schema 1")


def test_a_stray_parquet_in_a_folder_is_named_and_skipped(run, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "flows.csv").write_bytes(TIDY.read_bytes())
    pq.write_table(pa.table({"id": [1, 2]}), folder / "model_features.parquet")
    result = run("flows", "-d", str(folder))
    assert result.exit_code == 0 and result.stdout == flows_csv(run, TIDY)
    assert "skipped" in result.stderr and "model_features.parquet: missing column(s)" in \
        result.stderr
    one_line_error(run("flows", "-d", str(folder), "--strict"), ExitCode.DATA, "--strict",
                   "model_features.parquet")


def test_the_library_refuses_flows_it_cannot_write_exactly(tmp_path):
    import pandas as pd

    from pa_trade.errors import DataError

    table = flows.normalise_frame(pd.DataFrame({
        "reporter": ["COL"], "partner": ["USA"], "year": [2023], "flow": ["export"],
        "value_usd": [1.0], "valuation": ["FOB"], "source": [None]}))
    with pytest.raises(DataError, match="source is missing on 1 of the flows"):
        flows.write_parquet(table, str(tmp_path / "x.parquet"))
    with pytest.raises(DataError, match="cannot be written to the cent"):
        flows.write_parquet(table.assign(source="s", value_usd=float("inf")),
                            str(tmp_path / "x.parquet"))
    assert list(tmp_path.iterdir()) == []  # nothing half written
