"""The command line as analysts use it: options, formats, errors and exit codes."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, reference_file

SAMPLE_EXPO = FIXTURES / "dane_expo_yymm_latin1_semicolon.csv"


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def without_sources(text: str) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "sources"} for r in rows(text)]


def test_balance_table_for_people(run):
    result = run("balance", "colombia", "--year", "2022")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Colombia: trade balance by partner, 2022" in out
    assert "millions of US dollars" in out and "imports CIF" in out
    line = next(line for line in out.splitlines() if line.startswith("Mexico"))
    assert "1,752.0" in line and "4,174.0" in line and "-2,422.0" in line and "deficit" in line
    # one partner: its total would be its row again
    assert "Pacific Alliance" in out and "Total, 1 partner" not in out
    assert "World (as reported)" in out
    # MinCIT's published balance on the row under Mexico's
    published = out.splitlines()[out.splitlines().index(line) + 1]
    assert "published by MinCIT" in published and "-2,231.0" in published
    assert "Sources:" in out and "cedetrabajo.org" in out
    assert "Built-in data" in out and "sparse" in out


def test_balance_csv_is_exact_dollars(run):
    result = run("balance", "colombia", "--year", "2022", "--partner", "mexico", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    (row,) = rows(result.stdout)
    assert row["reporter"] == "COL" and row["partner"] == "MEX" and row["year"] == "2022"
    assert row["exports_usd"] == "1752000000"
    assert row["imports_usd"] == "4174000000"
    assert row["balance_usd"] == "-2422000000"
    assert row["status"] == "deficit"
    assert row["imports_valuation"] == "CIF"
    assert row["partner_name"] == "Mexico"


def test_machine_formats_leave_a_missing_side_empty(run):
    result = run("balance", "mexico", "--year", "2022", "-f", "json")
    assert result.exit_code == 0, result.stderr
    records = {r["partner"]: r for r in json.loads(result.stdout)}
    assert records["PER"]["exports_usd"] == 1727000000
    assert records["PER"]["imports_valuation"] == "unknown"
    assert "WLD" not in records  # aggregates only with --totals
    tsv = run("balance", "peru", "--year", "2022", "-f", "tsv").stdout
    col = next(r for r in csv.DictReader(io.StringIO(tsv), delimiter="\t") if r["partner"] == "COL")
    assert col["imports_usd"] == "" and col["balance_usd"] == "" and col["status"] == ""


def test_totals_add_the_reported_world_row(run):
    result = run("balance", "colombia", "-y", "2022", "--totals", "-f", "csv")
    partners = [r["partner"] for r in rows(result.stdout)]
    assert "WLD" in partners and "XPA" in partners


def test_units_rename_machine_columns(run):
    result = run("balance", "colombia", "-y", "2022", "-p", "MEX", "-f", "csv", "--units",
                 "millions")
    (row,) = rows(result.stdout)
    assert row["exports_usd_millions"] == "1752" and row["balance_usd_millions"] == "-2422"


def test_year_ranges_and_repeats(run):
    result = run("balance", "peru", "-y", "2020-2022", "-y", "2023", "-p", "chile", "-f", "csv")
    assert [r["year"] for r in rows(result.stdout)] == ["2020", "2022", "2023"]


def test_markdown_output(run):
    out = run("balance", "colombia", "-y", "2022", "-f", "markdown").stdout
    assert "| Mexico" in out and "|---" in out.replace(":", "-").replace("|-", "|-")


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["balance", "Nuevo México"], 2, "unknown country or area 'Nuevo México'"),
        (["balance", "colombia", "-p", "Perugia"], 2, "Perugia"),
        (["balance", "colombia", "-y", "1850"], 1, "no data for Colombia in 1850"),
        (["balance", "colombia", "-y", "20x2"], 2, "expected a year"),
        (["balance", "colombia", "-d", "no/such/file.csv"], 3, "no such file"),
        (["balance", "colombia", "-f", "xml"], 2, "xml"),
        (["balance", "colombia", "-d", str(FIXTURES / "error_empty.csv")], 1, "empty"),
        (["balance", "colombia", "-d", str(FIXTURES / "error_binary_png.csv")], 1, "binary"),
        (["balance", "colombia", "-d", str(FIXTURES / "error_unknown_layout.csv")], 1,
         "unknown layout"),
    ],
)
def test_errors_are_one_line_with_documented_exit_codes(run, args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert result.stdout == ""
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("pa-trade: error:")
    assert message in err
    assert "Traceback" not in result.stderr


def test_unknown_name_lists_close_matches(run):
    err = run("balance", "colombia", "-p", "Mexco").stderr
    assert "did you mean" in err and "Mexico (MEX)" in err


def test_strict_fails_on_a_set_aside_row(run):
    damaged = str(FIXTURES / "dane_expo_damaged_rows.csv")
    lenient = run("balance", "colombia", "-d", damaged, "-f", "csv")
    assert lenient.exit_code == 0
    assert "set aside" in lenient.stderr and "dane_expo_damaged_rows.csv" in lenient.stderr
    strict = run("balance", "colombia", "-d", damaged, "--strict")
    assert strict.exit_code == 1 and "--strict" in strict.stderr and "line" in strict.stderr
    quiet = run("balance", "colombia", "-d", damaged, "-f", "csv", "--quiet")
    assert quiet.stderr == ""


def test_the_same_file_twice_is_counted_once(run):
    once = run("balance", "colombia", "-d", str(SAMPLE_EXPO), "-f", "csv", "-q").stdout
    twice = run("balance", "colombia", "-d", str(SAMPLE_EXPO), "-d", str(SAMPLE_EXPO), "-f", "csv")
    assert twice.stdout == once
    assert "given twice" in twice.stderr


def test_stdin_is_read_with_a_dash(run):
    data = SAMPLE_EXPO.read_bytes()
    from_file = run("balance", "colombia", "-d", str(SAMPLE_EXPO), "-f", "csv", "-q").stdout
    from_stdin = run("balance", "colombia", "-d", "-", "-f", "csv", "-q", input=data).stdout
    assert without_sources(from_stdin) == without_sources(from_file)
    assert "(<stdin>)" in from_stdin


def test_pa_trade_data_environment_variable(run):
    result = run("balance", "colombia", "-f", "csv", "-q", env={"PA_TRADE_DATA": str(SAMPLE_EXPO)})
    assert result.exit_code == 0
    assert "cedetrabajo" not in result.stdout  # not the built-in data


def test_flows_command_writes_tidy_csv_that_reads_back(run, tmp_path):
    out = run("flows", "-d", str(SAMPLE_EXPO), "-q").stdout
    assert out.splitlines()[0].startswith("reporter,partner,year,month,flow,value_usd")
    tidy = tmp_path / "tidy.csv"
    tidy.write_text(out, encoding="utf-8")
    direct = run("balance", "colombia", "-d", str(SAMPLE_EXPO), "-f", "csv", "-q").stdout
    again = run("balance", "colombia", "-d", str(tidy), "-f", "csv", "-q").stdout
    assert without_sources(direct) == without_sources(again)


def test_country_command(run):
    out = run("country", "Corea del Sur", "dian:069").stdout
    assert "KOR" in out and "AUS" in out


def test_debug_shows_the_traceback(run):
    from pa_trade.errors import DataError

    with pytest.raises(DataError, match="no data for Colombia in 1850"):
        run("--debug", "balance", "colombia", "-y", "1850")


def _pa_trade(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "pa_trade", *args], capture_output=True,
                          text=True, env={**os.environ, "PA_TRADE_DATA": ""}, **kwargs)


def test_help_does_not_import_pandas():
    code = ("import sys; from pa_trade.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().endswith("False")


@pytest.mark.parametrize("args", [
    ["balance", "colombia", "--year", "20x2"],
    ["balance", "colombia", "--format", "xml"],
    ["balance", "narnia"],
    ["mirror", "colombia", "--partner", "atlantis"],
    ["products", "colombia", "--level", "tribe"],
    ["balance", "colombia", "--chart", "--format", "csv"],
])
def test_argument_errors_do_not_import_pandas(args):
    code = ("import sys; from pa_trade.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit as e:\n    print('exit', e.code)\n"
            "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["exit", "2", "False"], (done.stdout, done.stderr)
    assert done.stderr.startswith("pa-trade: error:")


def test_python_dash_m_and_a_closed_pipe(tmp_path):
    version = _pa_trade("--version", cwd=tmp_path)
    assert version.returncode == 0 and "pa-trade" in version.stdout
    shell = (f"{sys.executable} -m pa_trade balance peru -f csv | head -n 1")
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PA_TRADE_DATA": ""})
    assert done.stdout.startswith("reporter,partner")
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr


def test_a_finished_run_keeps_its_output_and_exit_code(run, tmp_path):
    # the console entry ends the process without tearing pandas down: nothing may be lost
    target = tmp_path / "balance.csv"
    with target.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "pa_trade", "balance", "colombia", "-d",
                               str(SAMPLE_EXPO), "-f", "json"], stdout=out,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    same = run("balance", "colombia", "-d", str(SAMPLE_EXPO), "-f", "json")
    assert target.read_text() == same.stdout
    failed = _pa_trade("balance", "colombia", "-d", str(SAMPLE_EXPO), "-y", "1850", cwd=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1].startswith(
        "pa-trade: error: no data for Colombia in 1850")


def test_the_user_data_folder_replaces_the_built_in_data(run, tmp_path, monkeypatch):
    from pa_trade.paths import user_data_dir

    monkeypatch.setenv("PA_TRADE_HOME", str(tmp_path))
    folder = user_data_dir()
    folder.mkdir(parents=True)
    (folder / "expo.csv").write_bytes(SAMPLE_EXPO.read_bytes())
    result = run("balance", "colombia", "-y", "2022")
    assert result.exit_code == 0
    assert "DANE export microdata (expo.csv)" in result.stdout
    assert "Built-in data" not in result.stdout


def test_balance_of_the_alliance_as_reporter(run):
    result = run("balance", "pa", "-y", "2024", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    table = rows(result.stdout)
    assert {r["reporter"] for r in table} >= {"COL", "MEX", "PER", "XPA"}
    intra = [r for r in table if r["reporter"] == "XPA" and r["partner"] == "XPA"]
    assert intra and intra[0]["partner_name"] == "Pacific Alliance, intra-bloc"
    assert "no data from CHL" in result.stderr


def test_user_blocs_file(run, tmp_path):
    blocs = tmp_path / "blocs.csv"
    blocs.write_text(
        "bloc,code,aliases,name_en,name_es,members,source\n"
        "andean-community,XAN,can-bloc|comunidad andina,Andean Community,Comunidad Andina,"
        "BOL COL ECU PER,Cartagena Agreement (1969)\n", encoding="utf-8")
    tidy = tmp_path / "t.csv"
    tidy.write_text("reporter,partner,year,flow,value_usd,valuation,source\n"
                    "COL,PER,2022,export,5,FOB,x\nCOL,ECU,2022,export,7,FOB,x\n"
                    "COL,MEX,2022,export,100,FOB,x\n", encoding="utf-8")
    result = run("balance", "colombia", "-d", str(tidy), "--blocs", str(blocs),
                 "-p", "can-bloc", "-f", "csv", "-q")
    assert result.exit_code == 0, result.stderr
    (row,) = rows(result.stdout)
    assert row["partner"] == "XAN" and row["exports_usd"] == "12"
    missing = run("balance", "colombia", "--blocs", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 3


def test_balance_chart_fits_80_columns(run):
    result = run("balance", "peru", "-y", "2022", "--chart", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    chart = result.stdout.split("Balance, millions of US dollars\n")[1].split("\n\n")[0]
    lines = chart.splitlines()
    assert any(line.startswith("Chile") and "│" in line and "406.0" in line for line in lines)
    assert all(len(line) <= 80 for line in lines)
    assert "\x1b[" not in result.stdout  # no colour when not a terminal


def test_balance_chart_is_for_people_only(run):
    result = run("balance", "peru", "--chart", "-f", "csv")
    assert result.exit_code == 2 and "--chart" in result.stderr


def test_balance_plot_writes_a_picture(run, tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    picture = tmp_path / "balance.png"
    result = run("balance", "colombia", "-y", "2022", "--plot", str(picture))
    assert result.exit_code == 0, result.stderr
    assert picture.stat().st_size > 5000
    pixels = imread(picture)
    assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::7]}) > 2
    bad = run("balance", "colombia", "--plot", str(tmp_path / "balance.gif"))
    assert bad.exit_code == 2


def test_a_stray_file_in_a_data_folder_is_named_and_skipped(run, tmp_path):
    (tmp_path / "expo.csv").write_bytes(SAMPLE_EXPO.read_bytes())
    (tmp_path / "notas.txt").write_text("Descargado de la página del DANE\n", encoding="utf-8")
    result = run("balance", "colombia", "-d", str(tmp_path), "-f", "csv")
    assert result.exit_code == 0
    assert "skipped" in result.stderr and "notas.txt" in result.stderr
    assert rows(result.stdout)
    strict = run("balance", "colombia", "-d", str(tmp_path), "--strict")
    assert strict.exit_code == 1 and "notas.txt" in strict.stderr
    named = run("balance", "colombia", "-d", str(tmp_path / "notas.txt"))
    assert named.exit_code == 1  # a file named on purpose must be readable


@pytest.mark.parametrize("args", [[], ["cache"], ["fetch"]])
def test_a_command_alone_shows_its_help(run, args):
    result = run(*args)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    assert "Commands:" in result.stdout and "error" not in result.stderr


def test_totals_with_partners_add_the_bloc_and_the_reported_world(run):
    result = run("balance", "colombia", "-y", "2022", "-p", "mexico", "--totals", "-f", "csv",
                 "-q")
    assert result.exit_code == 0, result.stderr
    assert [r["partner"] for r in rows(result.stdout)] == ["MEX", "XPA", "WLD"]


def test_a_bloc_with_itself_is_the_trade_inside_it(run):
    imf = reference_file("imf_dots_pa_2000_2020.csv")
    result = run("balance", "pa", "-p", "pa", "-d", str(imf), "-y", "2020", "-f", "csv", "-q")
    assert result.exit_code == 0, result.stderr
    table = rows(result.stdout)
    members = {"CHL", "COL", "MEX", "PER"}
    assert {(r["reporter"], r["partner"]) for r in table if r["reporter"] != "XPA"} == {
        (a, b) for a in members for b in members if a != b}
    intra = [r for r in table if r["reporter"] == "XPA"]
    assert [r["partner"] for r in intra] == ["XPA"]
    exports = sum(float(r["exports_usd"]) for r in table if r["reporter"] != "XPA")
    assert abs(float(intra[0]["exports_usd"]) - exports) < 0.01


def test_a_country_shows_its_dian_and_comtrade_codes(run):
    result = run("country", "méxico", "Corea, República de")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "méxico\tMEX\tMexico\tMéxico\tDIAN 493\tComtrade 484",
        "Corea, República de\tKOR\tSouth Korea\tCorea del Sur\tDIAN 190\tComtrade 410",
    ]


def test_a_trailing_comma_in_years_is_no_error(run):
    result = run("balance", "colombia", "--years", "2022,", "-f", "csv", "-q")
    assert result.exit_code == 0, result.stderr
    assert {r["year"] for r in rows(result.stdout)} == {"2022"}


def test_a_total_over_partners_with_one_side_says_so(run):
    samples = FIXTURES.parents[1].parent / "shared" / "samples"
    if not samples.is_dir():
        pytest.skip("the shared samples are not beside the project")
    result = run("balance", "colombia", "-y", "2021", "-d",
                 str(samples / "dane_cuadro_exportaciones.csv"), "-d",
                 str(samples / "dane_cuadro_importaciones.csv"))
    assert result.exit_code == 0, result.stderr
    assert ("the 2021 total adds up each side as given, and China (imports only), Panama "
            "(exports only) have one side only") in " ".join(result.stdout.split())


def test_a_run_with_standard_output_closed_fails_in_one_line(tmp_path):
    shell = f"{sys.executable} -m pa_trade balance colombia -f csv -q >&-"
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PA_TRADE_DATA": ""})
    assert "Traceback" not in done.stderr and done.returncode == 74, done.stderr
    assert done.stderr.startswith("pa-trade: error: standard output is closed")


def test_machine_formats_answer_what_the_table_answers_with_only_the_world(run):
    # the built-in data hold only the World for Colombia in 2023 (issue 15, item 2)
    result = run("balance", "colombia", "-y", "2023", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["partner"] for r in rows] == ["WLD"]
    assert "only the totals the sources report" in result.stderr
    nothing = run("balance", "colombia", "-y", "1990", "-f", "json")
    assert nothing.exit_code == 1
    assert "no data for Colombia in 1990" in nothing.stderr and " with " not in nothing.stderr


def test_trend_refuses_two_partners_instead_of_keeping_the_last(run):
    result = run("trend", "colombia", "-p", "usa", "-p", "china")
    assert result.exit_code == 2
    assert "one partner at a time (given 2: usa, china)" in result.stderr


def test_country_answers_every_name_and_reports_each_unknown_one(run):
    result = run("country", "mexico", "narnia", "peru", "atlantis")
    assert result.exit_code == 2
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == ["MEX", "PER"]
    assert "'narnia'" in result.stderr and "'atlantis'" in result.stderr
    assert result.stderr.count("\n") == 1


def test_cache_lists_and_clears_the_parsed_files_too(run, tmp_path):
    big = tmp_path / "big.csv"
    rows = "".join(f"COL,MEX,2020,export,{i}.25,FOB,DANE,{100000 + i}\n" for i in range(40000))
    big.write_text("reporter,partner,year,flow,value_usd,valuation,source,hs_code\n" + rows,
                   encoding="utf-8")
    assert big.stat().st_size > 1 << 20  # files of 1 MB and more are kept parsed
    assert run("flows", "-d", str(big), "-q").exit_code == 0
    listed = run("cache", "list")
    assert "1 parsed file kept (the cache of parsed files)" in listed.stdout
    cleared = run("cache", "clear")
    assert "removed 1 parsed file" in cleared.stdout
    assert "parsed file" not in run("cache", "list").stdout


def test_options_that_cannot_be_honoured_say_so(run):
    year = run("balance", "colombia", "2022")
    assert year.exit_code == 2 and "did you mean --year 2022?" in year.stderr
    listed = run("balance", "colombia", "-y", "2022", "-p", "mexico,peru", "-p", "colombia",
                 "--valuation", "fob", "-f", "csv")
    assert listed.exit_code == 0, listed.stderr
    assert [r["partner"] for r in csv.DictReader(io.StringIO(listed.stdout))] == ["MEX"]
    assert "no data for Colombia with Peru" in listed.stderr  # 'mexico,peru' is two partners
    assert "Colombia is the reporter: no balance with itself" in listed.stderr
    assert "--valuation fob: the sources give imports from Mexico only CIF" in listed.stderr


def test_a_name_with_a_comma_stays_one_name(run):
    from pa_trade.cli.balance import _listed

    assert _listed(["Korea, Rep. of", "usa,china", "Corea, República de"]) == [
        "Korea, Rep. of", "usa", "china", "Corea, República de"]


def test_a_subtotal_whose_sides_add_different_partners_has_no_balance(run):
    # built-in figures: Peru's 2022 exports to Chile and Colombia, imports from Chile and
    # Mexico (issue 15, item 1): no "deficit" of sums over different partners
    result = run("balance", "peru", "-y", "2022", "-p", "pa", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    row = next(r for r in csv.DictReader(io.StringIO(result.stdout)) if r["partner"] == "XPA")
    assert row["exports_usd"] and row["imports_usd"]
    assert row["balance_usd"] == "" and row["status"] == ""
    assert "no balance, since its exports add CHL, COL and its imports CHL, MEX" in \
        result.stderr
    table = run("balance", "peru", "-y", "2022")
    total = next(line for line in table.stdout.splitlines() if line.startswith("Total, "))
    assert "deficit" not in total and "surplus" not in total


def test_intra_bloc_trade_is_two_measures_never_a_surplus_or_deficit(run):
    from tests.conftest import ROOT

    result = run("balance", "pa", "-p", "pa", "-y", "2019", "-f", "csv", "-d",
                 str(ROOT / "examples" / "pa_trade_2000_2020.csv"))
    assert result.exit_code == 0, result.stderr
    row = next(r for r in csv.DictReader(io.StringIO(result.stdout))
               if r["reporter"] == "XPA" and r["partner"] == "XPA")
    assert row["exports_usd"] and row["imports_usd"]
    assert row["balance_usd"] == "" and row["status"] == ""
    assert "two measures of the same flows" in result.stderr
    assert "not a surplus or deficit" in result.stderr


def test_the_main_job_shows_the_published_balance_beside_the_computed_one(run):
    table = run("balance", "colombia", "--year", "2022")
    assert table.exit_code == 0, table.stderr
    assert ("published balance of Colombia with Mexico in 2022: -2,231.0 M (imports FOB; "
            "MinCIT") in table.stdout
    assert "the balance above is -2,422.0 M with imports CIF" in table.stdout
    assert "published balance of Colombia with the World in 2022: -14,536.2 M" in table.stdout
    machine = run("balance", "colombia", "-y", "2023", "-f", "csv")
    assert "published balance of Colombia with the World in 2023: -9,902.0 M" in \
        machine.stderr  # machine formats keep stdout clean: the note goes to stderr
