"""Shared test helpers: where fixtures and the shared reference facts live, and a CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = ROOT.parent / "shared" / "reference"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """No test sees the user's own data, cache or environment."""
    monkeypatch.setenv("PA_TRADE_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv("PA_TRADE_DATA", raising=False)
    monkeypatch.delenv("PA_TRADE_DEBUG", raising=False)
    # English, and a wide terminal: tests that fit tables or speak Spanish say so
    monkeypatch.setenv("PA_TRADE_LANG", "en")
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


def reference_file(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"shared reference file {name} is absent")
    return path


class Run:
    """Runs `pa-trade ARGS` in-process through click's CliRunner, stdout and stderr apart."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, input: str | bytes | None = None, env: dict | None = None):
        from pa_trade.cli import cli

        runner = CliRunner()
        environment = {"PA_TRADE_DATA": "", "PA_TRADE_DEBUG": ""}
        environment.update(env or {})
        return runner.invoke(cli, list(args), input=input, env=environment,
                             catch_exceptions=False)


@pytest.fixture
def run(monkeypatch) -> Run:
    return Run(monkeypatch)
