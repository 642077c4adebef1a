"""Where pa-trade finds its own data files, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path


def data_dir() -> Path:
    """The folder of built-in tables: `pa_trade/data` when installed, `data/` in a checkout."""
    installed = Path(__file__).resolve().parent / "data"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "data"


def builtin_flows_dir() -> Path:
    """The folder with the built-in dataset of published figures."""
    return data_dir() / "flows"
