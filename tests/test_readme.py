"""The README and docs/ are part of the product: the two commands work, pasted output is real."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.doc_examples import DOWNLOADS, downloads_named, pages

README = (ROOT / "README.md").read_text(encoding="utf-8")
# the page that documents `pa-trade balance` and its options
BALANCE_PAGE = (ROOT / "docs" / "balance.md").read_text(encoding="utf-8")
EXAMPLES = ROOT / "examples"


def code_blocks(runnable_only: bool = False, text: str = README) -> list[str]:
    """Fenced blocks; ```text blocks show runs that cannot be repeated here (a live API)."""
    blocks = re.findall(r"```([a-z]*)\n(.*?)```", text, flags=re.S)
    return [body for lang, body in blocks if not (runnable_only and lang == "text")]


def test_readme_opens_with_the_two_commands():
    first, second = code_blocks()[:2]
    assert first.strip().count("\n") == 0 and second.strip().count("\n") == 0
    assert "pip install ." in first and first.strip().endswith(
        "pa-trade balance colombia --year 2022")
    assert "pip install '.[test]'" in second and "pytest" in second


def test_ci_runs_the_readme_test_command():
    second = code_blocks()[1].strip()
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_first_command_prints_the_table_from_another_folder(tmp_path):
    command = code_blocks()[0].strip().split("&&")[-1].strip()
    args = shlex.split(command)[1:]
    done = subprocess.run([sys.executable, "-m", "pa_trade", *args], capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    mexico = next(line for line in done.stdout.splitlines() if line.startswith("Mexico"))
    assert "1,752.0" in mexico and "4,174.0" in mexico and "-2,422.0" in mexico


def pasted_runs():
    """(page, cwd, command, expected output) for every '$ pa-trade ...' shown with its output,
    in README.md and every page of docs/."""
    runs = []
    for page in pages():
        for cwd, command, output in page_runs(page.read_text(encoding="utf-8")):
            runs.append((page.relative_to(ROOT).as_posix(), cwd, command, output))
    return runs


def page_runs(text: str):
    """(cwd, command, expected output) for every '$ pa-trade ...' of one page."""
    runs = []
    for block in code_blocks(runnable_only=True, text=text):
        lines = block.rstrip("\n").split("\n")
        cwd = "."
        index = 0
        while index < len(lines):
            line = lines[index]
            if line.startswith("$ cd "):
                cwd = line[5:].strip()
                index += 1
                continue
            if line.startswith("$ pa-trade"):
                output = []
                index += 1
                while index < len(lines) and not lines[index].startswith("$ "):
                    output.append(lines[index])
                    index += 1
                runs.append((cwd, line[2:], "\n".join(output)))
                continue
            index += 1
    return runs


RUNS = pasted_runs()


def test_the_readme_shows_real_runs():
    assert len(RUNS) >= 10


@pytest.mark.parametrize("page, cwd, command, expected", RUNS,
                         ids=[f"{r[0]}: {r[2][:60]}" for r in RUNS])
def test_pasted_output_is_what_pa_trade_prints(tmp_path, page, cwd, command, expected):
    base = tmp_path / "main"
    shutil.copytree(FIXTURES, base / "tests" / "fixtures")
    shutil.copytree(EXAMPLES, base / "examples")
    if "../shared/" in command:
        if not (ROOT.parent / "shared").is_dir():
            pytest.skip("the shared reference files are absent")
        (tmp_path / "shared").symlink_to(ROOT.parent / "shared")
    where = base / cwd
    # a file the page says to download: run only where a copy of the real file is at hand
    for name in downloads_named(command):
        if not DOWNLOADS[name].is_file():
            pytest.skip(f"{name} is not in a clone (the page says where to download it)")
        where.mkdir(parents=True, exist_ok=True)
        (where / name).symlink_to(DOWNLOADS[name])
    redirect = None
    if " > " in command:
        command, redirect = command.split(" > ")
    args = shlex.split(command)[1:]
    # charts and tables follow the terminal's width; English unless the example says --lang
    env = {**os.environ, "COLUMNS": "80", "PA_TRADE_LANG": "en"}
    env.pop("NO_COLOR", None)
    done = subprocess.run([sys.executable, "-m", "pa_trade", *args], capture_output=True,
                          text=True, cwd=where, env=env)
    stdout = "" if redirect else done.stdout
    shown = expected.strip("\n")
    assert shown in ((stdout + done.stderr).strip("\n"), (done.stderr + stdout).strip("\n"))


def test_every_balance_option_is_documented():
    from pa_trade.cli import cli

    command = cli.commands["balance"]
    for param in command.params:
        for option in param.opts:
            if option.startswith("--") and option != "--help":
                assert f"`{option}" in BALANCE_PAGE or f"{option}" in BALANCE_PAGE, option


def test_no_example_reads_files_outside_the_clone():
    for page in pages():
        assert "../shared" not in page.read_text(encoding="utf-8"), page.name
