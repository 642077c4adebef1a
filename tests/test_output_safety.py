"""Output that is safe to open: csv/tsv text cells a spreadsheet would run as formulas are
neutralised (and read back exactly), and nothing read from the input drives the terminal."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from pa_trade.reference import countries

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://evil.example/","click")'
CALC = "+cmd|' /C calc'!A0"
# what a hostile tidy file gives as sources: a formula, Lotus' @, DDE, one hidden behind a
# tab (which the reader trims) and one that already starts with "'"
HOSTILE_TIDY = (
    "reporter,partner,year,flow,value_usd,valuation,source,hs_code\n"
    "COL,MEX,2020,export,70,FOB,MinCIT,0901\n"
    "COL,MEX,2021,export,80,FOB,MinCIT,0901\n"
    'COL,MEX,2022,export,100,FOB,"=HYPERLINK(""http://evil.example/"",""click"")",0901\n'
    "COL,MEX,2022,import,300,CIF,@SUM(A1),8703\n"
    "MEX,COL,2022,import,110,CIF,+cmd|' /C calc'!A0,0901\n"
    'MEX,COL,2022,export,290,FOB,"\t=1+1",8703\n'
    "COL,PER,2022,export,5,FOB,''=twice,\n"
)
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"  # set the terminal's title, then clear the screen
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J"  # what pa-trade prints instead


@pytest.fixture
def hostile(tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_text(HOSTILE_TIDY, encoding="utf-8")
    return path


@pytest.fixture
def user_blocs(monkeypatch):
    """Blocs added by --blocs stay out of the other tests run in this process."""
    monkeypatch.setattr(countries, "_user_blocs", {})
    monkeypatch.setattr(countries, "_user_order", [])


def table(text: str, delimiter: str = ",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def cells(text: str, delimiter: str = ",") -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def formula_cells(text: str, delimiter: str = ",") -> list[str]:
    """Cells a spreadsheet would run: starting like a formula, and no plain number."""
    return [cell for cell in cells(text, delimiter)
            if cell.lstrip(" ").startswith(FORMULA_STARTS) and not is_number(cell)]


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_balance_quotes_formula_text_and_leaves_numbers(run, hostile, fmt, delimiter):
    result = run("balance", "colombia", "-d", str(hostile), "-y", "2022", "-f", fmt, "-q")
    assert result.exit_code == 0, result.stderr
    assert formula_cells(result.stdout, delimiter) == []
    mexico = next(r for r in table(result.stdout, delimiter) if r["partner"] == "MEX")
    assert mexico["sources"] == f"'{HYPERLINK}; @SUM(A1)"  # the first text: one quote
    assert mexico["balance_usd"] == "-200"  # a number: never touched
    peru = next(r for r in table(result.stdout, delimiter) if r["partner"] == "PER")
    assert peru["sources"] == "''=twice"

    raw = run("balance", "colombia", "-d", str(hostile), "-y", "2022", "-f", fmt, "-q",
              "--raw-text")
    assert raw.exit_code == 0, raw.stderr
    mexico = next(r for r in table(raw.stdout, delimiter) if r["partner"] == "MEX")
    assert mexico["sources"] == f"{HYPERLINK}; @SUM(A1)"
    assert mexico["balance_usd"] == "-200"


def test_a_tab_trimmed_away_leaves_no_formula_behind(run, hostile):
    result = run("mirror", "mexico", "colombia", "-d", str(hostile), "-y", "2022", "-f", "csv",
                 "-q")
    assert result.exit_code == 0, result.stderr
    sources = {r["exporter"]: r["sources"] for r in table(result.stdout)}
    # "\t=1+1" is trimmed to "=1+1" on reading: still text, still quoted
    assert sources["MEX"].startswith("'") and "=1+1" in sources["MEX"]
    assert "\t" not in result.stdout
    assert formula_cells(result.stdout) == []


def test_names_from_a_blocs_file_are_quoted(run, hostile, tmp_path, user_blocs):
    blocs = tmp_path / "blocs.csv"
    blocs.write_text("bloc,code,aliases,name_en,name_es,members,source\n"
                     f'evil-bloc,XEV,evilb,"{CALC}",Malo,MEX PER,made up\n', encoding="utf-8")
    result = run("balance", "colombia", "-d", str(hostile), "--blocs", str(blocs),
                 "-p", "evilb", "-y", "2022", "-f", "csv", "-q")
    assert result.exit_code == 0, result.stderr
    (row,) = table(result.stdout)
    assert row["partner_name"].startswith("'" + CALC)
    assert formula_cells(result.stdout) == []


@pytest.mark.parametrize("command", [
    ["mirror", "colombia", "mexico", "-y", "2022"],
    ["trend", "colombia", "-p", "mexico"],
    ["trend", "colombia", "-p", "mexico", "--summary"],
    ["matrix", "-y", "2022"],
    ["products", "colombia", "-p", "mexico"],
    ["balance", "colombia", "--gl", "chapter"],
], ids=lambda args: " ".join(args))
@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_every_command_quotes_formula_text(run, hostile, tmp_path, command, fmt, delimiter):
    ftas = tmp_path / "ftas.csv"
    ftas.write_text("agreement,parties,entry_into_force,source\n"
                    "@SUM(1+1),COL MEX,2021-06-01,made up\n", encoding="utf-8")
    extra = ["--ftas", str(ftas)] if command[0] == "trend" else []
    result = run(*command, *extra, "-d", str(hostile), "-f", fmt, "-q")
    assert result.exit_code == 0, result.stderr
    assert formula_cells(result.stdout, delimiter) == []
    raw = run(*command, *extra, "-d", str(hostile), "-f", fmt, "-q", "--raw-text")
    assert raw.exit_code == 0, raw.stderr
    if command[0] not in ("matrix", "products"):  # codes, names and numbers of its own
        assert formula_cells(raw.stdout, delimiter) != []
    # the one difference: a "'" before the text cells that start like a formula
    pairs = list(zip(cells(result.stdout, delimiter), cells(raw.stdout, delimiter),
                     strict=True))
    assert all(safe in (text, "'" + text) for safe, text in pairs)
    dangerous = set(formula_cells(raw.stdout, delimiter))
    assert all(safe == "'" + text for safe, text in pairs if text in dangerous)


def test_flows_csv_quotes_and_reads_back_the_same_flows(run, hostile, tmp_path):
    written = run("flows", "-d", str(hostile))
    assert written.exit_code == 0, written.stderr
    assert formula_cells(written.stdout) == []
    sources = {r["source"] for r in table(written.stdout)}
    assert {f"'{HYPERLINK}", "'@SUM(A1)", "'" + CALC, "'=1+1", "''=twice"} <= sources
    tsv = run("flows", "-d", str(hostile), "-f", "tsv")
    assert formula_cells(tsv.stdout, "\t") == []

    again = tmp_path / "flows.csv"
    again.write_text(written.stdout, encoding="utf-8")
    original = json.loads(run("flows", "-d", str(hostile), "-f", "json").stdout)
    read_back = json.loads(run("flows", "-d", str(again), "-f", "json").stdout)
    assert read_back == original  # the same flows, text as it was
    assert {r["source"] for r in original} >= {HYPERLINK, "@SUM(A1)", CALC, "=1+1", "'=twice"}
    assert run("flows", "-d", str(again)).stdout == written.stdout

    raw = run("flows", "-d", str(hostile), "--raw-text")
    assert HYPERLINK in {r["source"] for r in table(raw.stdout)}


def test_tidy_hs_code_must_be_digits(run, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text(
        "reporter,partner,year,flow,value_usd,valuation,source,hs_code\n"
        "COL,MEX,2022,export,1,FOB,x,=1+1\n"
        "COL,MEX,2022,export,2,FOB,x,09a\n"
        "COL,MEX,2022,export,3,FOB,x,12345678901\n"
        "COL,MEX,2022,export,4,FOB,x,\u0660\u0669\n"
        "COL,MEX,2022,export,5,FOB,x,0901\n"
        "COL,MEX,2022,export,6,FOB,x,\n", encoding="utf-8")
    result = run("flows", "-d", str(path))
    assert result.exit_code == 0, result.stderr
    assert [r["hs_code"] for r in table(result.stdout)] == ["", "0901"]
    (line,) = [line for line in result.stderr.splitlines() if "[bad-field]" in line]
    assert "set aside 4 rows" in line
    for number, code in [(2, "=1+1"), (3, "09a"), (4, "12345678901")]:
        assert f"{number} (hs_code {code!r}" in line
    assert line.endswith("and 1 more")  # line 5, the Arabic-Indic digits
    strict = run("flows", "-d", str(path), "--strict")
    assert strict.exit_code == 1
    assert "line 2" in strict.stderr and "hs_code '=1+1'" in strict.stderr


def test_a_closed_stdout_is_an_error_not_silence(tmp_path):
    command = [sys.executable, "-m", "pa_trade", "balance", "colombia", "-f", "csv"]
    closed = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *command], cwd=tmp_path,
                            stderr=subprocess.PIPE, text=True)
    assert closed.returncode == 74
    assert closed.stderr.splitlines() == [
        "pa-trade: error: standard output is closed: nothing can be written (pa-trade writes "
        "its results there; redirect it to a file or /dev/null instead)"]
    both = subprocess.run(["sh", "-c", 'exec "$@" >&- 2>&-', "sh", *command], cwd=tmp_path)
    assert both.returncode == 74


def test_file_names_with_escapes_are_shown_escaped(run, tmp_path):
    path = tmp_path / f"expo{ESCAPES}.csv"
    path.write_text("reporter,partner,year,flow,value_usd,valuation,source\n"
                    "COL,MEX,2022,export,1,FOB,x\nCOL,MEX,2022,export,abc,FOB,x\n",
                    encoding="utf-8")
    result = run("balance", "colombia", "-d", str(path), "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert f"expo{SHOWN}.csv: set aside 1 row [bad-number]" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr

    missing = run("balance", "colombia", "-d", str(tmp_path / f"gone{ESCAPES}.csv"))
    assert missing.exit_code == 3
    (line,) = missing.stderr.splitlines()
    assert line.startswith("pa-trade: error: ") and f"gone{SHOWN}.csv" in line
    assert "\x1b" not in line and "\x07" not in line


@pytest.mark.parametrize("command", [
    ["balance", "colombia", "-p", "evilb"],
    ["balance", "colombia", "-p", "evilb", "--chart"],
    ["mirror", "colombia", "mexico"],
    ["trend", "colombia", "-p", "mexico"],
    ["products", "colombia", "-p", "mexico"],
], ids=lambda args: " ".join(args))
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_tables_for_people_show_escapes_from_the_input(run, tmp_path, user_blocs, command,
                                                       fmt):
    if "--chart" in command and fmt == "markdown":
        fmt = "table"
    data = tmp_path / "escapes.csv"
    # plain rows around the few escapes, as in a real file (many control bytes: binary)
    filler = "".join(f"COL,USA,{year},export,1,FOB,x,0901\n" for year in range(1960, 2000))
    data.write_text(
        "reporter,partner,year,flow,value_usd,valuation,source,hs_code\n" + filler
        + f'COL,MEX,2021,export,80,FOB,"DANE{ESCAPES}",0901\n'
        f'COL,MEX,2022,export,100,FOB,"DANE{ESCAPES}",0901\n'
        f'MEX,COL,2022,import,110,CIF,"SE{ESCAPES}",0901\n', encoding="utf-8")
    blocs = tmp_path / "blocs.csv"
    blocs.write_text("bloc,code,aliases,name_en,name_es,members,source\n"
                     f'evil-bloc,XEV,evilb,"Evil{ESCAPES}",Malo,MEX PER,made up\n',
                     encoding="utf-8")
    options = ["--blocs", str(blocs)] if command[0] == "balance" else []
    result = run(*command, *options, "-d", str(data), "-f", fmt)
    assert result.exit_code == 0, result.stderr
    shown = result.stdout
    assert "\x07" not in shown and "\x1b]" not in shown and "\x1b[2J" not in shown
    assert f"DANE{SHOWN}" in shown  # the sources under the table
    if command[0] == "balance":
        assert f"Evil{SHOWN}" in shown  # the partner, in the table


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])  # (click writes UTF-8 for ASCII)
@pytest.mark.parametrize("args", [
    ["mirror", "colombia", "mexico", "-y", "2019"],
    ["trend", "chile", "-p", "korea", "--chart"],
    ["balance", "pa", "-y", "2019", "-p", "korea", "--chart"],
])
def test_a_stream_that_cannot_encode_a_character_gets_a_plain_one(tmp_path, encoding, args):
    """A Windows redirect (cp1252), a Latin-1 terminal: no internal error, aligned text."""
    from tests.conftest import ROOT

    env = {**os.environ, "PYTHONIOENCODING": encoding, "PA_TRADE_HOME": str(tmp_path),
           "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-m", "pa_trade", *args, "-q", "-d",
                           str(ROOT / "examples" / "pa_trade_2000_2020.csv")],
                          capture_output=True, env=env)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode(encoding)  # every byte is the stream's own encoding
    assert "internal error" not in done.stderr.decode(encoding, "replace")
    if args[0] == "mirror":
        # at 80 columns the table names the flows by code: 'COL > MEX'
        lines = [line for line in text.splitlines() if " > " in line and "M/X" not in line
                 and line[:3] in ("COL", "MEX")]
        assert "COL > MEX" in lines[0] and len(lines[0]) == len(lines[1])


def test_a_result_whose_chunks_fail_midway_leaves_no_file_and_no_part(tmp_path):
    # csv chunks are made while the file is written: a failure (or Ctrl-C) half-way must
    # not leave a half file nor its hidden .part beside it
    from pa_trade.fetch.files import write_atomically

    target = tmp_path / "out.csv"

    def chunks():
        yield b"partner,year\n"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, chunks())
    assert list(tmp_path.iterdir()) == []


def test_chunks_cut_inside_a_character_reach_a_latin1_stdout_whole(monkeypatch):
    # a kept result is replayed a megabyte at a time: "maté" may be cut inside its é
    from pa_trade.cli import common

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="latin-1", newline="")
    monkeypatch.setattr(sys, "stdout", stream)
    common._stream_out(iter([b"Yerba mat\xc3", b"\xa9, Cura\xc3\xa7ao\n"]))
    stream.flush()
    assert raw.getvalue().decode("latin-1") == "Yerba maté, Curaçao\n"
