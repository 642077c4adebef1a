"""Hostile and damaged input (issue 11): nothing lost without a word, no value read wrong,
no internal error. Each test drives the command line on a file in an office's layout."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES

EXPO_HEADER = ("FECH;ADUA;PAIS;COD_SAL;DPTO2;VIA;POSAR;DPTO1;UNID;CANTI;PBK;PNK;FOBDOL;FOBPES;"
               "FLETES;SEGURO")


def expo_line(fech: str, pais: str, fobdol: str, posar: str = "0901110000") -> str:
    return f"{fech};23;{pais};6;13;1;{posar};76;KG;1,5;2,5;1,5;{fobdol};1;0;0"


def cuadro(rows: list[str]) -> str:
    return ("Colombia. Exportaciones según país de destino\nMillones de dólares FOB\n"
            "País;2021;2022p\n" + "\n".join(rows) + "\nFuente: DANE - DIAN\n")


# --- values that cannot be held, digits of other scripts, implausible years -----------------

@pytest.mark.parametrize("value", ["99999999999999999999", "1e400", "١٢٣"])
def test_a_table_figure_that_cannot_be_held_is_set_aside(run, tmp_path, value):
    path = tmp_path / "cuadro.csv"
    path.write_text(cuadro([f"Chile;{value};5", "Perú;3;4"]), encoding="utf-8")
    result = run("flows", "-d", str(path))
    assert result.exit_code == 0, result.stderr
    assert "[bad-number]" in result.stderr and "line 4" in result.stderr
    assert "CHL" not in result.stdout and "inf" not in result.stdout.lower()


@pytest.mark.parametrize("value", ["99999999999999999999", "1e400", "١٢٣"])
def test_a_microdata_value_that_cannot_be_held_is_set_aside(run, tmp_path, value):
    path = tmp_path / "expo.csv"
    path.write_text("\n".join([EXPO_HEADER, expo_line("2201", "493", value),
                               expo_line("2201", "211", "100,5")]) + "\n", encoding="utf-8")
    result = run("balance", "colombia", "-d", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert "[bad-number]" in result.stderr and "line 2" in result.stderr
    records = json.loads(result.stdout)  # valid JSON: no Infinity
    assert {r["partner"] for r in records} == {"CHL"}


def test_years_outside_1900_2099_are_bad_dates_in_microdata(run, tmp_path):
    path = tmp_path / "expo.csv"
    path.write_text("\n".join([EXPO_HEADER, expo_line("185001", "493", "10"),
                               expo_line("229912", "493", "10"),
                               expo_line("202201", "211", "10")]) + "\n", encoding="latin-1")
    result = run("flows", "-d", str(path))
    assert result.exit_code == 0
    assert "set aside 2 rows [bad-date]" in result.stderr
    assert ",1850," not in result.stdout and ",2299," not in result.stdout
    back = tmp_path / "flows.csv"
    back.write_text(result.stdout, encoding="utf-8")
    again = run("flows", "-d", str(back), "-q")
    assert again.exit_code == 0 and again.stdout == result.stdout  # every output reads back


# --- what a file is: every byte, not its size, head and tail --------------------------------

def big_expo(path, middle: str) -> None:
    """A file over 8 MB whose only difference from its twin is a value in the middle."""
    rows = [expo_line("2201", "493", "100,5")] * 160_000
    rows[80_000] = expo_line("2201", "493", middle)
    path.write_text("\n".join([EXPO_HEADER, *rows]) + "\n", encoding="latin-1")
    assert path.stat().st_size > 8 << 20


def test_two_big_files_alike_but_in_the_middle_are_both_read(run, tmp_path):
    big_expo(tmp_path / "a.csv", "100,5")
    big_expo(tmp_path / "b.csv", "900,5")  # the same size, head and tail
    result = run("balance", "colombia", "-d", str(tmp_path / "a.csv"), "-d",
                 str(tmp_path / "b.csv"), "-f", "csv")
    assert "same content" not in result.stderr
    assert result.exit_code == 1 and "with different figures" in result.stderr


def test_an_edit_in_the_middle_that_keeps_size_and_time_misses_the_cache(run, tmp_path):
    import os

    path = tmp_path / "expo.csv"
    big_expo(path, "100,5")
    before = run("balance", "colombia", "-d", str(path), "-f", "csv", "-q").stdout
    stat = path.stat()
    big_expo(path, "900,5")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the time put back
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    after = run("balance", "colombia", "-d", str(path), "-f", "csv", "-q").stdout
    assert after != before and "16080800" in after  # 800 dollars more: read again


def test_a_big_file_removed_while_it_is_read_in_pieces_is_read_whole(tmp_path, monkeypatch):
    from pa_trade import readers
    from pa_trade.readers import dane_microdata
    from pa_trade.textio import read_source

    path = tmp_path / "expo.csv"
    rows = [expo_line("2201", "493", "100,5")] * 3000
    path.write_text("\n".join([EXPO_HEADER, *rows]) + "\n", encoding="latin-1")
    monkeypatch.setattr(dane_microdata, "CHUNK_BYTES", 20_000)  # many pieces, both cores
    taken = dane_microdata._Batches._take_typed

    def take_then_remove(self, *args, **kwargs):
        if path.exists():
            path.unlink()  # gone after the first piece: the open file is still read
        return taken(self, *args, **kwargs)

    monkeypatch.setattr(dane_microdata._Batches, "_take_typed", take_then_remove)
    frame, report = readers.read_file(read_source(str(path)))
    assert report.rows_read == report.rows_used == 3000
    assert round(frame[frame["partner"] == "MEX"]["value_usd"].sum(), 2) == 301500.0


# --- inputs that are no regular files ---------------------------------------------------------

@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_refused_from_its_first_bytes(run, device):
    import os

    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    result = run("balance", "colombia", "-d", device)
    assert result.exit_code == 1 and "not a text file" in result.stderr


def test_a_pipe_over_256_kb_is_read_once_from_its_start(run, tmp_path):
    import os
    import threading

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    rows = [expo_line("2201", "493", "100,5")] * 6000  # about 400 KB
    text = "\n".join([EXPO_HEADER, *rows]) + "\n"
    assert len(text) > 256 * 1024
    fifo = tmp_path / "expo.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(text, encoding="latin-1"))
    writer.start()
    result = run("balance", "colombia", "-d", str(fifo), "-f", "csv", "-q")
    writer.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert ",603000," in result.stdout  # 6,000 lines of 100.5 dollars to Mexico, all of them


# --- folders --------------------------------------------------------------------------------

def test_a_link_loop_in_a_data_folder_is_named_and_read_once(run, tmp_path):
    import shutil

    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "dane_expo_yymm_latin1_semicolon.csv", folder / "sub")
    (folder / "sub" / "back").symlink_to(folder)  # a loop
    result = run("balance", "colombia", "-d", str(folder), "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert "a link to a folder read already, not followed" in result.stderr
    once = run("balance", "colombia", "-d", str(FIXTURES / "dane_expo_yymm_latin1_semicolon.csv"),
               "-f", "csv", "-q")
    assert result.stdout.replace(str(folder / "sub") + "/", "") == once.stdout.replace(
        str(FIXTURES) + "/", "")


def test_an_unreadable_subfolder_is_an_input_error(run, tmp_path, monkeypatch):
    import os
    import shutil

    folder = tmp_path / "data"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(FIXTURES / "dane_expo_yymm_latin1_semicolon.csv", folder)
    real_scandir = os.scandir

    def scandir(path="."):  # what chmod 000 does for anyone but root
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run("balance", "colombia", "-d", str(folder))
    assert result.exit_code == 3
    assert "locked: cannot read the folder (Permission denied)" in result.stderr


# --- one odd line never ends a table ------------------------------------------------------

ODD_LINES = {
    "a single cell": "Perú",
    "a name starting (1)": "(1) Ecuador;1.203,7;1.355,0",
    "an unclosed quote": '"Ecuador;1.203,7;1.355,0',
    "a row split over two lines": 'Corea, "República\nde";1.203,7;1.355,0',
    "a footnote in the middle": "Nota: cifras revisadas",
}


@pytest.mark.parametrize("odd", sorted(ODD_LINES))
def test_one_odd_line_in_a_cuadro_is_set_aside_and_the_rows_after_it_are_read(run, tmp_path,
                                                                               odd):
    rows = ["Estados Unidos;11.081,5;14.758,2", ODD_LINES[odd], "México;1.203,7;1.355,0",
            "Chile;903,7;955,0", "Total;41.389,6;57.115,2"]
    path = tmp_path / "cuadro.csv"
    path.write_text(cuadro(rows), encoding="utf-8")
    result = run("balance", "colombia", "-d", str(path), "--totals", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    partners = {line.split(",")[1] for line in result.stdout.splitlines()[1:]}
    assert {"USA", "MEX", "CHL", "WLD"} <= partners  # the rows after the odd line, the World
    assert "set aside" in result.stderr and "line 5" in result.stderr


def test_a_truncated_last_line_is_set_aside_and_the_total_kept(run, tmp_path):
    path = tmp_path / "cuadro.csv"
    text = cuadro(["Estados Unidos;11.081,5;14.758,2", "Total;41.389,6;57.115,2",
                   "México;1.203,7"])  # cut short: the download stopped
    path.write_text(text.replace("\nFuente: DANE - DIAN\n", ""), encoding="utf-8")
    result = run("balance", "colombia", "-d", str(path), "--totals", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert "[bad-field-count]" in result.stderr and "line 6" in result.stderr
    assert "COL,WLD," in result.stdout


def test_a_row_with_an_extra_figure_is_set_aside(run, tmp_path):
    path = tmp_path / "cuadro.csv"
    path.write_text(cuadro(["Estados Unidos;11.081,5;14.758,2;99,0", "Chile;903,7;955,0"]),
                    encoding="utf-8")
    result = run("balance", "colombia", "-d", str(path), "-f", "csv")
    assert "[bad-field-count]" in result.stderr and "4 fields, header has 3" in result.stderr
    assert ",USA," not in result.stdout and ",CHL," in result.stdout


# --- internal errors that belong to a clear error or a set-aside row ---------------------

@pytest.mark.parametrize("command", [["flows"], ["balance", "colombia", "--gl", "chapter"],
                                     ["products", "colombia"]])
def test_a_latin1_byte_in_a_tariff_code_is_no_internal_error(run, tmp_path, command):
    path = tmp_path / "expo.csv"
    path.write_bytes("\n".join([EXPO_HEADER, expo_line("2201", "493", "100,5",
                                                       posar="09011\xe90000"),
                                expo_line("2201", "211", "100,5")]).encode("latin-1") + b"\n")
    result = run(*command, "-d", str(path))
    assert result.exit_code == 0, result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("shape", ["a line over 128 KB", "100,000 columns"])
def test_huge_lines_are_read_or_refused_in_one_line(run, tmp_path, shape):
    path = tmp_path / "big.csv"
    if shape == "a line over 128 KB":
        path.write_text("\n".join([EXPO_HEADER, expo_line("2201", "493", "100,5") + "x" * 200_000,
                                   expo_line("2201", "211", "100,5")]) + "\n",
                        encoding="latin-1")
    else:
        path.write_text(";".join(f"c{i}" for i in range(100_000)) + "\n"
                        + ";".join("1" for _ in range(100_000)) + "\n", encoding="latin-1")
    result = run("flows", "-d", str(path))
    assert result.exit_code in (0, 1) and "internal error" not in result.stderr
    if shape == "a line over 128 KB":
        assert "[bad-field-count]" in result.stderr or ",CHL," in result.stdout


def test_a_quote_left_open_in_microdata_swallows_no_line(run, tmp_path):
    path = tmp_path / "expo.csv"
    path.write_text("\n".join([EXPO_HEADER,
                               expo_line("2201", '"493', "100,5"),  # opens, never closes
                               expo_line("2201", '"211"', "200,5"),
                               expo_line("2213", "211", "300,5")]) + "\n", encoding="latin-1")
    result = run("flows", "-d", str(path))
    assert result.exit_code == 0, result.stderr
    assert "line 2" in result.stderr and "[bad-field-count]" in result.stderr
    assert "line 4 (FECH '2213')" in result.stderr  # physical lines, counted from the top
    assert ",CHL,2022,1,export,200.5," in result.stdout


def test_years_outside_the_range_in_a_table_are_said_as_such(run, tmp_path):
    path = tmp_path / "cuadro.csv"
    path.write_text(cuadro(["Chile;1;2"]).replace("2021;2022p", "1850;2299"), encoding="utf-8")
    result = run("flows", "-d", str(path))
    assert result.exit_code == 1
    assert "its years (1850, 2299) are outside 1900-2099" in result.stderr


@pytest.mark.parametrize("damage", ["a list", "cut short", "wrong fields"])
def test_a_damaged_cache_entry_is_rebuilt_with_a_note(run, tmp_path, damage):
    from pa_trade.readers import cache

    path = tmp_path / "expo.csv"
    rows = [expo_line("2201", "493", "100,5")] * 20_000
    path.write_text("\n".join([EXPO_HEADER, *rows]) + "\n", encoding="latin-1")
    first = run("balance", "colombia", "-d", str(path), "-f", "csv", "-q")
    (entry,) = cache.folder().glob("*.json")
    entry.write_text({"a list": "[1, 2]", "cut short": '{"file": "x", "lay',
                      "wrong fields": '{"file": "x", "nonsense": 1, "set_aside": []}'}[damage],
                     encoding="utf-8")
    again = run("balance", "colombia", "-d", str(path), "-f", "csv")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout
    assert "entry in the cache of parsed files was damaged" in again.stderr
    third = run("balance", "colombia", "-d", str(path), "-f", "csv")
    assert "cache of parsed files was damaged" not in third.stderr  # rebuilt


TIDY_HEADER = "reporter,partner,year,flow,value_usd,valuation,source"


def tidy_file(tmp_path, *rows: str):
    path = tmp_path / "flows.csv"
    path.write_text("\n".join([TIDY_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_quote_left_open_in_a_tidy_file_swallows_no_row(run, tmp_path):
    path = tidy_file(tmp_path, 'COL,MEX,2022,export,100,FOB,"a source never closed',
                     "COL,PER,2022,export,200,FOB,s", "COL,CHL,2022,export,300,FOB,s",
                     "COL,USA,2022,export,400,FOB,s")
    result = run("flows", "-d", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert sorted(r["partner"] for r in rows) == ["CHL", "PER", "USA"]
    assert "[damaged-quote]" in result.stderr and "line 2" in result.stderr
    assert "the rest of the file" in result.stderr
    strict = run("flows", "-d", str(path), "--strict")
    assert strict.exit_code == 1 and "line 2" in strict.stderr


def test_a_quote_closing_lines_later_past_whole_rows_is_a_damaged_quote(run, tmp_path):
    path = tidy_file(tmp_path, 'COL,MEX,2022,export,100,FOB,"opens here',
                     'COL,PER,2022,export,200,FOB,closes here"', "COL,CHL,2022,export,300,FOB,s")
    result = run("flows", "-d", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert sorted(r["partner"] for r in json.loads(result.stdout)) == ["CHL", "PER"]
    assert "line 2 (a quote opened on this line swallows the next line)" in result.stderr


def test_a_source_of_two_lines_in_quotes_is_read_as_one_row_numbered_by_its_first(run,
                                                                                   tmp_path):
    path = tidy_file(tmp_path, 'COL,MEX,2022,export,100,FOB,"DANE, cuadro 3\nsecond line"',
                     "COL,CHL,2022,export,x,FOB,s")
    result = run("flows", "-d", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["source"] for r in rows] == ["DANE, cuadro 3\nsecond line"]
    assert "line 4 (value_usd 'x')" in result.stderr  # physical lines, counted from the top
    assert "damaged-quote" not in result.stderr


def test_a_quote_left_open_on_the_last_line_of_a_tidy_file_is_set_aside(run, tmp_path):
    path = tidy_file(tmp_path, "COL,PER,2022,export,200,FOB,s", 'COL,MEX,2022,export,100,FOB,"cut')
    result = run("flows", "-d", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["partner"] for r in json.loads(result.stdout)] == ["PER"]
    assert "[damaged-quote]" in result.stderr and "line 3" in result.stderr


def test_a_column_named_twice_in_a_tidy_file_is_refused_in_one_line(run, tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text(TIDY_HEADER + ",source\nCOL,MEX,2022,export,100,FOB,a,b\n", encoding="utf-8")
    result = run("flows", "-d", str(path))
    assert result.exit_code == 1, result.stderr
    assert "line 1: column source appears more than once" in result.stderr


def test_a_value_column_named_twice_in_microdata_is_refused(run, tmp_path):
    path = tmp_path / "expo.csv"
    path.write_text(EXPO_HEADER + ";FOBDOL\n" + expo_line("2201", "493", "100,5") + ";5\n",
                    encoding="latin-1")
    result = run("balance", "colombia", "-d", str(path))
    assert result.exit_code == 1, result.stderr
    assert "column FOBDOL appears more than once" in result.stderr


def test_a_file_name_in_windows_1252_is_read_and_named(run, tmp_path):
    import os

    path = tmp_path / os.fsdecode(b"a\xf1o.csv")  # 'año.csv' from a Windows share
    path.write_text("\n".join([EXPO_HEADER, expo_line("2201", "493", "100,5")]) + "\n",
                    encoding="latin-1")
    result = run("flows", "-d", str(tmp_path), "-f", "csv", "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert "DANE export microdata (año.csv)" in result.stdout
