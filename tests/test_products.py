"""Product levels and names from tariff codes, `pa-trade products`, `balance --gl` and
`fetch comtrade --level chapter`, as a user meets them: codes keep their leading zeros on
every path (reading, the cache, tidy files, every output format)."""

from __future__ import annotations

import csv
import io
import json
import random

import pandas as pd
import pytest

from pa_trade import flows, readers
from pa_trade.readers import cache
from pa_trade.readers.tidy import read_tidy
from pa_trade.reference import products
from pa_trade.textio import SourceFile
from tests.conftest import FIXTURES
from tests.test_composition import write_expo, write_impo
from tests.test_fetch import record, server  # noqa: F401 (the fixture, by name)

EXPO = str(FIXTURES / "dane_expo_yymm_latin1_semicolon.csv")
IMPO = str(FIXTURES / "dane_impo_yymm_latin1_semicolon.csv")
DATA = ["-d", EXPO, "-d", IMPO]


def rows(text: str, delimiter: str = ",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


# -- the tables of sections, chapters and groups ------------------------------------------


def test_a_tariff_code_at_every_level():
    coffee = "0901110000"
    assert [products.product(coffee, level) for level in products.LEVELS] == [
        "II", "09", "0901", "090111", "agriculture"]
    assert products.product("7403110000", "group") == "mining"  # refined copper
    assert products.product("2709000000", "group") == "mining"  # crude oil
    assert products.product("7108120000", "group") == "other"  # non-monetary gold
    assert products.product("8703231090", "group") == "manufactures"  # cars
    assert products.product("4403", "group") == "agriculture"  # wood in the rough
    assert products.product("4412", "group") == "manufactures"  # plywood
    assert products.product("9999", "section") == products.NO_SECTION
    # a code with only its chapter (Comtrade AG2) goes where most of the chapter goes
    assert products.product("74", "group") == "mining"  # copper
    assert products.product("7419", "group") == "manufactures"  # articles of copper
    assert products.product("71", "group") == "other"  # gold
    assert products.product("7113", "group") == "manufactures"  # jewellery


def test_a_code_that_lost_its_leading_zero_gets_it_back():
    assert products.clean("901110000") == "0901110000"
    assert products.clean(" 0901.11.00.00 ") == "0901110000"
    assert products.clean("") is None and products.clean(None) is None


def test_sections_cover_chapters_01_to_97_once_in_order():
    ranges = products.sections()
    assert [s for s, _, _ in ranges][:3] == ["I", "II", "III"] and len(ranges) == 21
    covered = [f"{c:02d}" for _, first, last in ranges for c in range(int(first), int(last) + 1)]
    assert covered == [f"{c:02d}" for c in range(1, 98)]


def test_every_chapter_has_names_in_both_languages_and_a_group():
    chapters = products.chapters()
    assert chapters == [f"{c:02d}" for c in range(1, 100)]
    for chapter in chapters:
        assert products.name(chapter, "chapter") and products.name(chapter, "chapter", "es")
        assert products.group(chapter) in products.GROUPS
    assert products.name("09", "chapter") == "Coffee, tea, maté and spices"
    assert products.name("09", "chapter", "es") == "Café, té, yerba mate y especias"
    assert products.name("0901", "heading") == "in chapter 09: Coffee, tea, maté and spices"
    assert products.name("XVI", "section").startswith("Machinery and mechanical appliances")
    assert products.name("mining", "group", "es").startswith("Combustibles")


# -- leading zeros on every path ------------------------------------------------------------


def test_microdata_codes_are_read_as_text():
    loaded = readers.load([EXPO, IMPO], use_cache=False).flows
    assert "0901110000" in set(loaded["hs_code"]) and "0402101000" in set(loaded["hs_code"])
    assert loaded["hs_code"].str.len().eq(10).all()


def test_codes_survive_the_parquet_cache(tmp_path):
    path = tmp_path / "expo.csv"
    rng = random.Random(3)
    header = ("FECH;ADUA;PAIS;COD_SAL;DPTO2;VIA;POSAR;DPTO1;UNID;CANTI;PBK;PNK;FOBDOL;FOBPES;"
              "FLETES;SEGURO")
    lines = [header]
    for _ in range(18000):
        code = rng.choice(["0901110000", "0603110000", "0803901100", "2701120010"])
        lines.append(f"22{rng.randint(1, 12):02d};10;{rng.choice(['493', '249', '069'])};1;11;"
                     f"1;{code};11;KG;1,5;2,5;2;{rng.randint(1, 10**6)},{rng.randint(0, 99)};0;0;0")
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    assert path.stat().st_size > cache.MIN_BYTES
    first = readers.load([str(path)]).flows
    assert list(cache.folder().glob("*.parquet"))
    warm = readers.load([str(path)]).flows  # from the Parquet file
    pd.testing.assert_frame_equal(first, warm)
    assert set(warm["hs_code"].dropna()) == {"0901110000", "0603110000", "0803901100",
                                             "2701120010"}
    assert set(warm.loc[warm["hs_code"].isna(), "partner"]) == {"WLD"}  # a month's total


def test_codes_survive_a_tidy_csv_round_trip():
    loaded = readers.load([EXPO], use_cache=False).flows
    out = io.StringIO()
    flows.to_tidy_csv(loaded, out)
    assert ",0901110000\n" in out.getvalue()
    again, report = read_tidy(SourceFile("flows.csv", out.getvalue().encode("utf-8")))
    assert not report.set_aside
    assert sorted(again["hs_code"].dropna()) == sorted(loaded["hs_code"].dropna())
    assert again["hs_code"].isna().sum() == loaded["hs_code"].isna().sum()  # World rows


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "table", "markdown"])
def test_codes_keep_their_zero_in_every_output_format(run, fmt):
    result = run("products", "colombia", *DATA, "--level", "heading", "-f", fmt, "-q")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if fmt == "json":
        codes = [r["product"] for r in json.loads(out)]
        assert "0901" in codes and "0402" in codes and 901 not in codes
    elif fmt in ("csv", "tsv"):
        codes = [r["product"] for r in rows(out, "," if fmt == "csv" else "\t")]
        assert "0901" in codes and "0402" in codes
    else:
        assert "0901 " in out or "| 0901 " in out
        assert "\n901 " not in out


# -- the products command ---------------------------------------------------------------


def test_products_table_for_people(run):
    result = run("products", "colombia", *DATA, "--level", "chapter", "--units", "thousands")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    # the fixtures hold January-June 2022: the title said "2022", as if a whole year
    assert out.startswith("Colombia: trade by HS chapter, January–June 2022\nValues in "
                          "thousands of US dollars; exports FOB, imports CIF")
    assert "World (sum of partners), January–June 2022" in out
    coffee = next(line for line in out.splitlines() if line.startswith("09 "))
    assert "Coffee, tea, maté, spices" in coffee and "2,051" in coffee and "82.2%" in coffee
    total = next(line for line in out.splitlines() if line.strip().startswith("Total"))
    assert "2,495" in total and "2,491" in total and total.count("100.0%") == 2
    assert "DANE export microdata" in out


def test_products_machine_columns_and_full_dollars(run):
    result = run("products", "colombia", *DATA, "-p", "mexico", "--level", "subheading",
                 "-f", "csv")
    assert result.exit_code == 0, result.stderr
    table = rows(result.stdout)
    assert list(table[0]) == ["partner", "year", "months", "product", "product_name",
                              "exports_usd", "imports_usd", "balance_usd", "share_exports",
                              "share_imports"]
    assert {r["months"] for r in table} == {"1-6"}
    cars = next(r for r in table if r["product"] == "870323")
    assert cars["exports_usd"] == "250000" and cars["imports_usd"] == "158801.5"
    assert cars["balance_usd"] == "91198.5" and cars["partner"] == "MEX"
    assert sum(float(r["share_exports"]) for r in table) == pytest.approx(1.0)
    assert sum(float(r["share_imports"]) for r in table) == pytest.approx(1.0)
    assert "exports FOB, imports CIF" in result.stderr  # the unit and valuation, on stderr


def test_products_top_adds_an_other_row_and_totals_still_add_up(run):
    full = rows(run("products", "colombia", *DATA, "--level", "subheading", "-f", "csv").stdout)
    top = rows(run("products", "colombia", *DATA, "--level", "subheading", "--top", "5",
                   "-f", "csv").stdout)
    assert len(top) == 6 and top[-1]["product"] == "other"
    assert top[-1]["product_name"] == f"Other products ({len(full) - 5})"
    for column in ("exports_usd", "imports_usd", "balance_usd"):
        assert sum(float(r[column]) for r in top) == pytest.approx(
            sum(float(r[column]) for r in full))


def test_products_flow_import_and_group_level(run):
    result = run("products", "colombia", *DATA, "--level", "group", "--flow", "import",
                 "-f", "json")
    records = json.loads(result.stdout)
    assert [r["product"] for r in records] == ["manufactures", "mining", "agriculture"]
    assert records[0]["product_name"] == "Manufactures"
    assert sum(r["share_imports"] for r in records) == pytest.approx(1.0)
    table = run("products", "colombia", *DATA, "--level", "group", "--flow", "import").stdout
    assert "Exports" not in table and "Imports" in table


def test_products_gl_column_and_line(run):
    machine = run("products", "colombia", *DATA, "-p", "mexico", "--gl", "-f", "csv")
    values = {r["gl_subheading"] for r in rows(machine.stdout)}
    assert values == {"0.45235683"}
    people = run("products", "colombia", *DATA, "-p", "mexico", "--gl", "--gl-level",
                 "chapter").stdout
    assert "Grubel–Lloyd index at HS chapter level: 0.452" in people


def test_flows_without_codes_are_reported_on_stderr(run, tmp_path):
    tidy = tmp_path / "more.csv"
    tidy.write_text("reporter,partner,year,flow,value_usd,valuation,source\n"
                    "COL,JPN,2022,export,1234.5,FOB,a table without codes\n", encoding="utf-8")
    result = run("products", "colombia", *DATA, "-d", str(tidy), "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert ("pa-trade: note: 1,234.5 USD of flows without a tariff code left out "
            "(1,234.5 of exports)") in result.stderr
    people = run("products", "colombia", *DATA, "-d", str(tidy), "-q").stdout
    assert "Note: 1,234.5 USD of flows without a tariff code left out" in people


def test_products_without_tariff_codes_is_a_one_line_error(run):
    result = run("products", "colombia")  # the built-in published figures have no codes
    assert result.exit_code == 1
    assert "no tariff codes" in result.stderr and "--level chapter" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_partner_and_bad_options_are_usage_errors(run):
    assert run("products", "colombia", *DATA, "-p", "narnia").exit_code == 2
    assert run("products", "colombia", *DATA, "--level", "tariff").exit_code == 2
    assert run("products", "colombia", *DATA, "--top", "0").exit_code == 2
    bloc = run("products", "pa", *DATA)
    assert bloc.exit_code == 2 and "is a bloc" in bloc.stderr and "--partner pa" in bloc.stderr


# -- balance --gl --------------------------------------------------------------------------


def test_balance_gl_adds_a_column_in_machine_formats(run):
    result = run("balance", "colombia", *DATA, "--gl", "subheading", "-f", "csv", "-q")
    assert result.exit_code == 0, result.stderr
    table = {r["partner"]: r for r in rows(result.stdout)}
    assert list(next(iter(table.values())))[-1] == "gl_subheading"
    assert table["MEX"]["gl_subheading"] == "0.45235683"
    assert table["USA"]["gl_subheading"] == "0"
    plain = rows(run("balance", "colombia", *DATA, "-f", "csv", "-q").stdout)
    assert [{k: v for k, v in r.items() if k != "gl_subheading"} for r in table.values()] \
        == plain
    records = json.loads(run("balance", "colombia", *DATA, "--gl", "chapter", "-f", "json",
                             "-q").stdout)
    assert {r["partner"]: r["gl_chapter"] for r in records}["MEX"] == pytest.approx(0.452357,
                                                                                    abs=1e-6)


def test_balance_gl_for_people(run):
    out = run("balance", "colombia", *DATA, "--gl", "subheading", "-q").stdout
    assert "Grubel–Lloyd index at HS subheading level" in out
    mexico = next(line for line in out.splitlines() if line.strip().startswith("Mexico")
                  and line.rstrip().endswith("0.452"))
    assert "2022" in mexico


# -- months ---------------------------------------------------------------------------------


def dane_files(tmp_path, expo_lines, impo_lines) -> list[str]:
    """-d options for an EXPO and an IMPO file in DANE's layout (see test_composition)."""
    expo, impo = tmp_path / "expo.csv", tmp_path / "impo.csv"
    write_expo(expo, expo_lines)
    write_impo(impo, impo_lines)
    return ["-d", str(expo), "-d", str(impo)]


def test_products_of_six_months_against_twelve_have_no_balance(run, tmp_path):
    data = dane_files(
        tmp_path,
        [(f"23{m:02d}", partner, "8703231090", "100") for m in range(1, 7)
         for partner in ("493", "249")],
        [(f"23{m:02d}", "493", "8703231090", "50") for m in range(1, 13)])
    result = run("products", "colombia", *data, "-p", "mexico", "--gl", "--units", "usd")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == "Colombia: trade by HS chapter, 2023"
    assert "With Mexico, 2023 (exports January–June, imports the whole year)" in out
    cars = next(line for line in out.splitlines() if line.startswith("87 ")).split()
    assert cars[-5:] == ["600", "100.0%", "600", "100.0%", "–"]  # not 0: not balanced
    assert "Grubel–Lloyd index at HS subheading level: –" in out
    assert ("Note: with Mexico: exports cover January–June 2023, imports the whole of 2023: "
            "no balance or Grubel–Lloyd index") in out
    (row,) = rows(run("products", "colombia", *data, "-p", "mexico", "-f", "csv").stdout)
    assert (row["months"], row["balance_usd"]) == ("exports 1-6; imports 1-12", "")
    (record,) = json.loads(run("products", "colombia", *data, "-p", "mexico", "--gl", "-f",
                               "json", "-q").stdout)
    assert record["months"] == "exports 1-6; imports 1-12"
    assert record["balance_usd"] is None and record["gl_subheading"] is None
    balance_gl = run("balance", "colombia", *data, "-p", "mexico", "--gl", "chapter", "-f",
                     "csv")
    (row,) = rows(balance_gl.stdout)
    assert (row["months"], row["balance_usd"], row["gl_chapter"]) == (
        "exports 1-6; imports 1-12", "", "")
    assert "no Grubel–Lloyd index where exports and imports cover different months" in (
        balance_gl.stderr)


def test_products_of_january_june_in_two_years_say_so(run, tmp_path):
    data = dane_files(
        tmp_path,
        [(f"{y}{m:02d}", "493", "0901110000", "100") for y in (22, 23) for m in range(1, 7)],
        [(f"{y}{m:02d}", "493", "8703231090", "40") for y in (22, 23) for m in range(1, 7)])
    out = run("products", "colombia", *data, "--units", "usd", "-q").stdout
    assert out.splitlines()[0] == ("Colombia: trade by HS chapter, 2022–2023, January–June of "
                                   "each year")
    assert "World (sum of partners), January–June 2023" in out
    table = rows(run("products", "colombia", *data, "-p", "mexico", "-f", "csv").stdout)
    assert {(r["year"], r["months"], r["product"], r["balance_usd"]) for r in table} == {
        ("2022", "1-6", "09", "600"), ("2022", "1-6", "87", "-240"),
        ("2023", "1-6", "09", "600"), ("2023", "1-6", "87", "-240")}
    people = run("balance", "colombia", *data, "-p", "mexico", "--gl", "chapter", "-q").stdout
    assert people.splitlines()[0] == ("Colombia: trade balance by partner, 2022–2023, "
                                      "January–June of each year")


def test_products_of_a_partner_trading_only_in_march_cover_the_sources_months(run, tmp_path):
    data = dane_files(
        tmp_path,
        [(f"23{m:02d}", "249", "0901110000", "10") for m in range(1, 7)]
        + [("2303", "493", "8703231090", "100")],
        [(f"23{m:02d}", "249", "0901110000", "10") for m in range(1, 7)])
    out = run("products", "colombia", *data, "-p", "mexico", "--units", "usd", "-q").stdout
    assert out.splitlines()[0] == "Colombia: trade by HS chapter, January–June 2023"
    assert "With Mexico, January–June 2023" in out and "March" not in out
    # Mexico sold Colombia nothing in those months: 0, and a balance of the same months
    cars = next(line for line in out.splitlines() if line.startswith("87 ")).split()
    assert cars[-5:] == ["100", "100.0%", "0", "–", "100"]
    (row,) = rows(run("products", "colombia", *data, "-p", "mexico", "-f", "csv").stdout)
    assert (row["months"], row["balance_usd"]) == ("1-6", "100")


# -- fetch comtrade --level chapter ------------------------------------------------------


def chapter_record(partner: int, flow: str, chapter, value: float) -> dict:
    return record(170, partner, 2022, flow, value, fob=value * 0.95 if flow == "M" else None,
                  cmdCode=chapter, cmdDesc=f"chapter {chapter}", aggrLevel=2)


def test_fetch_by_chapter_then_products(server, run):  # noqa: F811 (the fixture)
    server.records = [
        chapter_record(410, "X", "09", 300_000_000.5),
        chapter_record(410, "X", 8, 20_000_000),  # a chapter sent as a number: "08"
        chapter_record(410, "M", "87", 250_000_000),
        chapter_record(410, "M", "85", 120_000_000),
        chapter_record(410, "X", "87", 1_000_000),
        chapter_record(410, "M", "TOTAL", 370_000_000),  # not a chapter: set aside
    ]
    result = run("fetch", "comtrade", "-r", "colombia", "-p", "korea", "-y", "2022",
                 "--level", "chapter", "--api-url", server.url)
    assert result.exit_code == 0, result.stderr
    assert {s.params["cmdCode"] for s in server.seen} == {"AG2"}
    assert "not-a-chapter" in result.stderr
    table = {r["product"]: r for r in rows(run("products", "colombia", "-p", "korea",
                                               "-f", "csv").stdout)}
    assert set(table) == {"09", "08", "87", "85"}
    assert table["09"]["exports_usd"] == "300000000.5"
    assert table["08"]["product_name"] == "Edible fruit and nuts; peel of citrus fruit or melons"
    assert table["87"]["imports_usd"] == "250000000"
    balance = rows(run("balance", "colombia", "-p", "korea", "-f", "csv").stdout)
    assert float(balance[0]["exports_usd"]) == pytest.approx(321_000_000.5)
    assert float(balance[0]["imports_usd"]) == pytest.approx(370_000_000)
    listing = run("cache", "list").stdout
    assert "cmdCode=AG2" in listing


def test_a_partner_asked_twice_counts_once(run):
    once = run("products", "colombia", *DATA, "-p", "mexico", "--level", "group", "-f", "csv")
    twice = run("products", "colombia", *DATA, "-p", "mexico", "-p", "méxico", "--level",
                "group", "-f", "csv")
    assert once.exit_code == 0 and twice.exit_code == 0, twice.stderr
    assert twice.stdout == once.stdout


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json"])
def test_products_written_a_few_rows_at_a_time_are_the_same_bytes(run, monkeypatch, fmt):
    # millions of rows go out a chunk at a time: where the chunks end changes nothing
    from pa_trade.render import products as render_products

    args = ("products", "colombia", *DATA, "--level", "subheading", "-f", fmt, "--no-cache")
    whole = run(*args)
    monkeypatch.setattr(render_products, "CHUNK_ROWS", 3)
    pieces = run(*args)
    assert whole.exit_code == pieces.exit_code == 0, pieces.stderr
    assert len(rows(whole.stdout)) > 3 if fmt != "json" else whole.stdout.count("{") > 3
    assert pieces.stdout == whole.stdout


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_machine_products_come_as_chunks_never_as_one_text(fmt, monkeypatch):
    # each chunk of rows is made and written before the next: no text of all the rows, and
    # the chunks joined are one valid document
    import json

    from pa_trade import readers
    from pa_trade.analysis.composition import composition
    from pa_trade.render import products as render_products

    monkeypatch.setattr(render_products, "CHUNK_ROWS", 4)
    flows = readers.load([arg for arg in DATA if arg != "-d"], products=True).flows
    result = composition(flows, "COL", level="subheading")
    out = render_products.products_machine(result, fmt, "usd")
    assert not isinstance(out, (str, bytes))
    chunks = list(out)
    assert len(chunks) > 2 and all(isinstance(chunk, bytes) for chunk in chunks)
    text = b"".join(chunks).decode("utf-8")
    if fmt == "json":
        assert len(json.loads(text)) == len(result.table)
    else:
        assert text.count("\n") == len(result.table) + 1
