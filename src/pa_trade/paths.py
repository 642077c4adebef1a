"""Where pa-trade finds its own data files, the user's data and its caches."""

from __future__ import annotations

import os
from pathlib import Path

# what every answer from the built-in figures says of them
BUILTIN_NOTE = ("Built-in data: {n} published figures, sparse (see docs/input-layouts.md). "
                "Every partner and year, from the IMF, no key: pa-trade fetch imf -r REPORTER "
                "-y A-B; or load files with --data FILE or $PA_TRADE_DATA.")


def data_dir() -> Path:
    """The folder of built-in tables: `pa_trade/data` when installed, `data/` in a checkout."""
    installed = Path(__file__).resolve().parent / "data"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "data"


def builtin_flows_dir() -> Path:
    """The folder with the built-in dataset of published figures."""
    return data_dir() / "flows"


def user_data_dir() -> Path:
    """Where fetched data are kept: $PA_TRADE_HOME/data, else the platform's user data folder
    (platformdirs): Linux $XDG_DATA_HOME/pa-trade (~/.local/share/pa-trade); macOS
    ~/Library/Application Support/pa-trade; Windows %LOCALAPPDATA%\\pa-trade."""
    base = _pa_trade_home()
    if base is not None:
        return base / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir("pa-trade", appauthor=False))


def user_cache_dir() -> Path:
    """Caches (raw API answers, parsed files): $PA_TRADE_HOME/cache, else the platform's
    (platformdirs): Linux $XDG_CACHE_HOME/pa-trade (~/.cache/pa-trade); macOS
    ~/Library/Caches/pa-trade; Windows %LOCALAPPDATA%\\pa-trade\\Cache."""
    base = _pa_trade_home()
    if base is not None:
        return base / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("pa-trade", appauthor=False))


def _pa_trade_home() -> Path | None:
    base = os.environ.get("PA_TRADE_HOME", "").strip()
    return Path(base).expanduser() if base else None


def kept_in(base: Path, suffix: str) -> tuple[int, int]:
    """(entries, bytes) of a cache folder: the files ending in `suffix` counted, every file's
    bytes summed (what is being written too)."""
    if not base.is_dir():
        return 0, 0
    entries = [p for p in base.iterdir() if p.is_file()]
    return sum(p.suffix == suffix for p in entries), sum(p.stat().st_size for p in entries)


def remove_kept(base: Path, suffix: str, what: str) -> tuple[int, int]:
    """Remove every file of a cache folder -> (entries ending in `suffix`, bytes freed);
    InputError, naming `what` ('the parsed files kept'), when one cannot be removed."""
    from pa_trade.errors import InputError

    if not base.is_dir():
        return 0, 0
    removed = freed = 0
    try:
        for path in sorted(base.iterdir()):
            if path.is_file():
                size = path.stat().st_size
                removed += path.suffix == suffix
                path.unlink()
                freed += size
    except OSError as exc:
        raise InputError(f"cannot remove {what} in {base} ({exc.strerror or exc})") from None
    return removed, freed
