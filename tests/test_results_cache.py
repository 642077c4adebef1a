"""The cache of results (cli.results): a command run again on unchanged files prints what it
printed, byte for byte, without reading them; anything that could change the answer misses."""

import os

import pytest

from pa_trade import readers
from pa_trade.cli import results
from tests.test_cache import write_expo


@pytest.fixture
def expo(tmp_path):
    path = tmp_path / "data" / "expo.csv"
    path.parent.mkdir()
    write_expo(path, 18000, seed=1)
    assert path.stat().st_size > results.MIN_BYTES
    return path


def kept_results() -> list:
    folder = results.folder()
    return sorted(folder.glob("*.result")) if folder.exists() else []


@pytest.fixture
def unreadable(monkeypatch):
    """After this, any reading of data files fails: what is printed must come from the
    cache of results."""
    def arm():
        def refuse(*_args, **_kwargs):
            raise AssertionError("the data were read again")
        monkeypatch.setattr(readers, "load", refuse)
    return arm


COMMANDS = [
    ["balance", "colombia", "-f", "csv"],
    ["balance", "colombia"],
    ["products", "colombia", "--level", "subheading", "-f", "csv"],
    ["trend", "colombia", "-p", "usa", "-f", "json"],
    ["flows"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_second_run_prints_the_same_without_reading(run, expo, unreadable, command):
    first = run(*command, "-d", str(expo))
    assert first.exit_code == 0, first.stderr
    assert len(kept_results()) == 1
    unreadable()
    again = run(*command, "-d", str(expo))
    assert again.exit_code == 0
    assert again.stdout_bytes == first.stdout_bytes
    assert again.stderr == first.stderr  # the load report and notes too


def test_an_output_file_is_written_again(run, expo, unreadable, tmp_path):
    out = tmp_path / "balance.csv"
    first = run("balance", "colombia", "-d", str(expo), "-f", "csv", "-o", str(out))
    written = out.read_bytes()
    out.unlink()
    unreadable()
    again = run("balance", "colombia", "-d", str(expo), "-f", "csv", "-o", str(out))
    assert out.read_bytes() == written
    assert again.stderr == first.stderr
    assert f"wrote {out}" in again.stderr


def test_a_workbook_is_written_again(run, expo, unreadable, tmp_path):
    out = tmp_path / "balance.xlsx"
    run("balance", "colombia", "-d", str(expo), "-o", str(out))
    workbook = out.read_bytes()
    out.unlink()
    unreadable()
    run("balance", "colombia", "-d", str(expo), "-o", str(out))
    assert out.read_bytes() == workbook


def test_a_file_rewritten_with_the_same_size_and_time_is_read_again(run, expo):
    before = run("balance", "colombia", "-d", str(expo), "-f", "csv").stdout
    stat = expo.stat()
    # the last line's FOBDOL gets another first digit: same size, other figures
    text = expo.read_text(encoding="latin-1")
    cut = text.rstrip("\n").rfind(";0;0;0")
    head, value = text[:cut].rsplit(";", 1)
    changed = str(int(value[0]) % 9 + 1) + value[1:]
    expo.write_text(f"{head};{changed}{text[cut:]}", encoding="latin-1")
    os.utime(expo, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert expo.stat().st_size == stat.st_size and expo.stat().st_mtime_ns == stat.st_mtime_ns
    after = run("balance", "colombia", "-d", str(expo), "-f", "csv").stdout
    fresh = run("balance", "colombia", "-d", str(expo), "-f", "csv", "--no-cache").stdout
    assert after == fresh
    assert after != before


def test_a_file_added_to_a_folder_is_counted(run, expo):
    folder = expo.parent
    alone = run("balance", "colombia", "-d", str(folder), "-f", "csv").stdout
    write_expo(folder / "expo-2.csv", 100, seed=7)
    both = run("balance", "colombia", "-d", str(folder), "-f", "csv")
    assert "expo-2.csv" in both.stderr
    assert both.stdout != alone
    assert both.stdout == run("balance", "colombia", "-d", str(folder), "-f", "csv",
                              "--no-cache").stdout


@pytest.mark.parametrize("other", [["--lang", "es"], ["--width", "60"], ["--units", "usd"],
                                   ["-p", "usa"]])
def test_what_changes_the_answer_is_part_of_the_key(run, expo, other):
    plain = run("balance", "colombia", "-d", str(expo))
    asked = run("balance", "colombia", "-d", str(expo), *other)
    fresh = run("balance", "colombia", "-d", str(expo), *other, "--no-cache")
    assert asked.stdout == fresh.stdout
    assert asked.stdout != plain.stdout
    assert len(kept_results()) == 2


def test_the_environment_is_part_of_the_key(run, expo):
    english = run("balance", "colombia", "-d", str(expo)).stdout
    spanish = run("balance", "colombia", "-d", str(expo), env={"PA_TRADE_LANG": "es"}).stdout
    assert "balanza" in spanish.lower() and "balanza" not in english.lower()


def test_a_failed_run_keeps_nothing(run, tmp_path):
    path = tmp_path / "expo.csv"
    write_expo(path, 18000, seed=1, damaged_line=50)
    for _ in range(2):
        failed = run("balance", "colombia", "-d", str(path), "--strict")
        assert failed.exit_code == 1
        assert "line 50" in failed.stderr
    assert kept_results() == []


def test_small_inputs_and_no_cache_keep_nothing(run, expo, tmp_path):
    small = tmp_path / "small.csv"
    write_expo(small, 50, seed=3)
    assert run("balance", "colombia", "-d", str(small)).exit_code == 0
    assert run("balance", "colombia", "-d", str(expo), "--no-cache").exit_code == 0
    assert kept_results() == []


def test_parquet_files_are_written_every_time(run, expo, tmp_path):
    out = tmp_path / "flows.parquet"
    run("flows", "-d", str(expo), "-o", str(out))
    out.unlink()
    again = run("flows", "-d", str(expo), "-o", str(out))
    assert again.exit_code == 0 and out.exists()
    assert kept_results() == []


def test_the_cache_command_lists_and_clears_results(run, expo):
    run("balance", "colombia", "-d", str(expo), "-f", "csv")
    listed = run("cache", "list")
    assert "1 result kept (the cache of results" in listed.stdout
    cleared = run("cache", "clear")
    assert "removed 1 result" in cleared.stdout
    assert kept_results() == []


@pytest.mark.parametrize("damage", ["cut short", "emptied", "trailer only"])
def test_a_damaged_entry_is_read_again_and_replaced(run, expo, damage):
    first = run("balance", "colombia", "-d", str(expo), "-f", "csv")
    (entry,) = kept_results()
    data = entry.read_bytes()
    entry.write_bytes({"cut short": data[: len(data) // 2], "emptied": b"",
                       "trailer only": data[-40:]}[damage])
    again = run("balance", "colombia", "-d", str(expo), "-f", "csv")
    assert again.exit_code == 0
    assert (again.stdout, again.stderr) == (first.stdout, first.stderr)
    assert entry.read_bytes() == data  # kept again, whole


def test_what_a_cut_run_left_is_swept_a_day_later(run, expo):
    results.folder().mkdir(parents=True)
    left = results.folder() / "0123.result.99999"
    left.write_bytes(b"half")
    fresh = results.folder() / "4567.result.99998"
    fresh.write_bytes(b"being written")
    os.utime(left, (0, 0))
    run("balance", "colombia", "-d", str(expo), "-f", "csv")
    assert not left.exists()
    assert fresh.exists()  # maybe another run's, still writing


def test_a_file_changed_while_it_is_read_keeps_nothing(run, expo, monkeypatch):
    load = readers.load

    def load_then_change(*args, **kwargs):
        loaded = load(*args, **kwargs)
        with expo.open("a", encoding="latin-1") as handle:  # another month comes in
            handle.write("2211;1;493;1;11;1;0901110000;11;KG;1,5;2,5;2;99,5;0;0;0\n")
        return loaded
    monkeypatch.setattr(readers, "load", load_then_change)
    run("balance", "colombia", "-d", str(expo), "-f", "csv")
    assert kept_results() == []


def test_a_result_written_into_a_data_folder_is_not_replayed(run, expo):
    out = expo.parent / "flows.csv"
    first = run("flows", "-d", str(expo.parent), "-o", str(out))
    second = run("flows", "-d", str(expo.parent), "-o", str(out))
    assert "flows.csv" not in first.stderr.replace(f"wrote {out}", "")
    assert "flows.csv" in second.stderr.replace(f"wrote {out}", "")  # read as data now
    assert kept_results() == []


def test_a_linked_folder_is_looked_into(run, expo, tmp_path):
    linked = tmp_path / "linked"
    linked.mkdir()
    mexico = linked / "mexico.csv"
    header = "reporter,partner,year,flow,value_usd,valuation,source\n"
    mexico.write_text(header + "MEX,COL,2022,export,100.5,FOB,SE\n", encoding="utf-8")
    (expo.parent / "more").symlink_to(linked)
    before = run("flows", "-d", str(expo.parent)).stdout
    mexico.write_text(header + "MEX,COL,2022,export,200.5,FOB,SE\n", encoding="utf-8")
    after = run("flows", "-d", str(expo.parent)).stdout
    assert "MEX,COL,2022,,export,200.5,FOB" in after and after != before
    assert after == run("flows", "-d", str(expo.parent), "--no-cache").stdout


def test_standard_input_in_pa_trade_data_is_never_kept(run, expo):
    env = {"PA_TRADE_DATA": os.pathsep.join(["-", str(expo.parent)])}
    header = "reporter,partner,year,flow,value_usd,valuation,source\n"
    for value in ("100.5", "200.5"):
        given = run("flows", env=env, input=f"{header}MEX,COL,2022,export,{value},FOB,SE\n")
        assert given.exit_code == 0, given.stderr
        assert f"MEX,COL,2022,,export,{value},FOB" in given.stdout
    assert kept_results() == []


def test_a_file_name_that_is_no_utf8_is_kept_and_replayed(run, expo):
    (expo.parent / os.fsdecode(b"l\xe9ame.txt")).write_text("hi\n", encoding="utf-8")
    first = run("balance", "colombia", "-d", str(expo.parent), "-f", "csv")
    assert first.exit_code == 0, first.stderr
    again = run("balance", "colombia", "-d", str(expo.parent), "-f", "csv")
    assert (again.exit_code, again.stdout) == (0, first.stdout)
    assert len(kept_results()) == 1


def test_an_output_folder_gone_is_said_as_the_command_says_it(run, expo, tmp_path):
    out = tmp_path / "sub" / "balance.csv"
    out.parent.mkdir()
    run("balance", "colombia", "-d", str(expo), "-f", "csv", "-o", str(out))
    out.unlink()
    out.parent.rmdir()
    again = run("balance", "colombia", "-d", str(expo), "-f", "csv", "-o", str(out))
    assert again.exit_code == 3
    assert f"--output {out}: no such folder" in again.stderr
    assert "PAIS read as" not in again.stderr  # said before anything is read


def test_a_replay_interleaves_stdout_and_stderr_as_the_run_did(expo, tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "PA_TRADE_DATA": ""}
    command = [sys.executable, "-m", "pa_trade", "products", "colombia", "-d", str(expo),
               "-f", "csv"]
    first, again = (subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env=env, cwd=tmp_path, check=True).stdout for _ in range(2))
    assert len(kept_results()) == 1
    assert again == first
    assert b"pa-trade: note:" in first and b"partner,year" in first
