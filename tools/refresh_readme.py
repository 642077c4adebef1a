#!/usr/bin/env python3
"""Re-run every `$ pa-trade ...` shown in README.md and paste what it prints now.

Run from the project root after changing output; tests/test_readme.py checks the result.
Commands run in a scratch copy of tests/fixtures (so `> file` redirections leave no trace),
with ../shared beside it, and an empty PA_TRADE_HOME so the built-in data are used.
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


def run(command: str, cwd: Path, home: Path) -> str:
    redirect = " > " in command
    if redirect:
        command = command.split(" > ")[0]
    env = {**os.environ, "PA_TRADE_HOME": str(home), "COLUMNS": "80"}
    env.pop("PA_TRADE_DATA", None)
    done = subprocess.run([sys.executable, "-m", "pa_trade", *shlex.split(command)[1:]],
                          capture_output=True, text=True, cwd=cwd, env=env)
    stdout = "" if redirect else done.stdout
    # what a terminal shows: stderr first when the command fails or stdout is redirected
    text = done.stderr + stdout if (done.returncode or redirect) else stdout + done.stderr
    return text.rstrip("\n")


def main() -> None:
    readme = ROOT / "README.md"
    lines = readme.read_text(encoding="utf-8").split("\n")
    out: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "main"
        shutil.copytree(ROOT / "tests" / "fixtures", base / "tests" / "fixtures")
        # examples may read the shared reference files beside the project
        if (ROOT.parent / "shared").is_dir():
            (base.parent / "shared").symlink_to(ROOT.parent / "shared")
        (base / "home").mkdir()
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
            if line.startswith("$ pa-trade") and runnable:
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
    readme.write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
