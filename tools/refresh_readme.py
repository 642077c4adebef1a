#!/usr/bin/env python3
"""Re-run every `$ pa-trade ...` shown in README.md and docs/*.md and paste what it prints now.

Run from the project root after changing output; tests/test_readme.py checks the result.
Commands run in a scratch copy of tests/fixtures and examples/ (so `> file` redirections
leave no trace), with an empty PA_TRADE_HOME so the built-in data are used. An example that
reads a downloaded file (tests/doc_examples.py, DOWNLOADS) is re-run only where a copy of
that file is at hand; elsewhere its pasted output is left as it is.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.doc_examples import DOWNLOADS, downloads_named, pages  # noqa: E402


def run(command: str, cwd: Path, home: Path) -> str:
    redirect = " > " in command
    if redirect:
        command = command.split(" > ")[0]
    env = {**os.environ, "PA_TRADE_HOME": str(home), "COLUMNS": "80", "PA_TRADE_LANG": "en"}
    env.pop("PA_TRADE_DATA", None)
    done = subprocess.run([sys.executable, "-m", "pa_trade", *shlex.split(command)[1:]],
                          capture_output=True, text=True, cwd=cwd, env=env)
    stdout = "" if redirect else done.stdout
    # what a terminal shows: stderr first when the command fails or stdout is redirected
    text = done.stderr + stdout if (done.returncode or redirect) else stdout + done.stderr
    return text.rstrip("\n")


def refresh(page: Path, base: Path) -> None:
    lines = page.read_text(encoding="utf-8").split("\n")
    out: list[str] = []
    cwd = base
    runnable = True
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            cwd = base
            # ```text shows runs that cannot be repeated here (a live API): left alone
            runnable = line.strip() != "```text" if len(line.strip()) > 3 else True
        if line.startswith("$ cd "):
            cwd = base / line[5:].strip()
        if line.startswith("$ pa-trade") and runnable and available(line, cwd):
            out.append(line)
            index += 1
            while index < len(lines) and not (
                lines[index].startswith("$ ") or lines[index].startswith("```")
            ):
                index += 1
            out.extend(run(line[2:], cwd, base / "home").split("\n"))
            continue
        out.append(line)
        index += 1
    page.write_text("\n".join(out), encoding="utf-8")


def available(line: str, cwd: Path) -> bool:
    """Put the downloaded files the command reads in its folder; False if one is absent."""
    for name in downloads_named(line):
        if not DOWNLOADS[name].is_file():
            print(f"left as it is (no {name} here): {line}", file=sys.stderr)
            return False
        cwd.mkdir(parents=True, exist_ok=True)
        if not (cwd / name).exists():
            (cwd / name).symlink_to(DOWNLOADS[name])
    return True


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "main"
        shutil.copytree(ROOT / "tests" / "fixtures", base / "tests" / "fixtures")
        shutil.copytree(ROOT / "examples", base / "examples")
        (base / "home").mkdir()
        for page in pages():
            refresh(page, base)


if __name__ == "__main__":
    main()
