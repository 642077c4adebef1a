"""Where pa-trade keeps fetched data and caches: $PA_TRADE_HOME first, else the platform's
folders as platformdirs gives them (the README names them)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pa_trade.paths import user_cache_dir, user_data_dir


def test_pa_trade_home_holds_both(monkeypatch, tmp_path):
    monkeypatch.setenv("PA_TRADE_HOME", str(tmp_path))
    assert user_data_dir() == tmp_path / "data"
    assert user_cache_dir() == tmp_path / "cache"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG folders of Linux")
def test_linux_follows_xdg_and_its_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("PA_TRADE_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert user_data_dir() == tmp_path / "share" / "pa-trade"
    assert user_cache_dir() == tmp_path / "cache" / "pa-trade"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_data_dir() == Path(tmp_path) / ".local" / "share" / "pa-trade"
    assert user_cache_dir() == Path(tmp_path) / ".cache" / "pa-trade"
