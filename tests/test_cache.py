"""The cache of parsed files: same answers with and without it, and never stale."""

import os
import random

import pandas as pd
import pytest

from pa_trade import readers
from pa_trade.readers import cache

HEADER = ("FECH;ADUA;PAIS;COD_SAL;DPTO2;VIA;POSAR;DPTO1;UNID;CANTI;PBK;PNK;FOBDOL;FOBPES;"
          "FLETES;SEGURO")


def write_expo(path, rows: int, seed: int, damaged_line: int | None = None) -> None:
    """DANE EXPO microdata, big enough (over 1 MB) to be cached."""
    rng = random.Random(seed)
    lines = [HEADER]
    for index in range(rows):
        value = f"{rng.randint(1, 10**7)},{rng.randint(0, 99):02d}"
        if damaged_line is not None and index + 2 == damaged_line:
            value = "12,3x4"
        code = rng.choice(["493", "589", "211", "249", "069", "215"])
        lines.append(f"22{rng.randint(1, 12):02d};{rng.randint(1, 89)};{code};1;11;1;"
                     f"0901110000;11;KG;1,5;2,5;2;{value};0;0;0")
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


@pytest.fixture
def big_expo(tmp_path):
    path = tmp_path / "expo.csv"
    write_expo(path, 18000, seed=1, damaged_line=50)
    assert path.stat().st_size > cache.MIN_BYTES
    return path


def cached_files():
    folder = cache.folder()
    return sorted(folder.glob("*.parquet")) if folder.exists() else []


def test_cached_and_fresh_readings_are_identical(big_expo):
    fresh = readers.load([str(big_expo)], use_cache=False)
    assert cached_files() == []
    first = readers.load([str(big_expo)])
    assert len(cached_files()) == 1
    warm = readers.load([str(big_expo)])
    for loaded in (first, warm):
        pd.testing.assert_frame_equal(loaded.flows, fresh.flows)
        assert loaded.reports[0].set_aside == fresh.reports[0].set_aside
        assert loaded.reports[0].rows_read == fresh.reports[0].rows_read == 18000
        assert loaded.reports[0].file == fresh.reports[0].file  # named as it was read
    # the warning about the damaged row survives the cache
    assert [(r.line, r.reason) for r in warm.reports[0].set_aside] == [(50, "bad-number")]


def test_a_changed_file_is_parsed_again(big_expo):
    before = readers.load([str(big_expo)]).flows
    write_expo(big_expo, 18000, seed=2)
    stat = big_expo.stat()
    os.utime(big_expo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    after = readers.load([str(big_expo)]).flows
    fresh = readers.load([str(big_expo)], use_cache=False).flows
    pd.testing.assert_frame_equal(after, fresh)
    assert after["value_usd"].sum() != before["value_usd"].sum()


def test_a_new_reader_version_misses_the_cache(big_expo, monkeypatch):
    readers.load([str(big_expo)])
    monkeypatch.setattr(cache, "READER_VERSION", "test-next")
    readers.load([str(big_expo)])
    assert len(cached_files()) == 2


def test_what_was_asked_is_part_of_the_key(big_expo):
    with_products = readers.load([str(big_expo)])
    without = readers.load([str(big_expo)], products=False)
    partners = with_products.flows[with_products.flows["partner"] != "WLD"]
    assert partners["hs_code"].notna().all()  # a month's World total has no tariff code
    assert without.flows["hs_code"].isna().all()


def test_no_cache_on_the_command_line(run, big_expo):
    result = run("balance", "colombia", "-d", str(big_expo), "-f", "csv", "-q", "--no-cache")
    assert result.exit_code == 0
    assert cached_files() == []
    again = run("balance", "colombia", "-d", str(big_expo), "-f", "csv", "-q")
    assert again.stdout == result.stdout and len(cached_files()) == 1


def test_the_load_report_of_a_cached_file_names_that_file(run, big_expo):
    cold = run("balance", "colombia", "-d", str(big_expo), "-f", "csv")
    warm = run("balance", "colombia", "-d", str(big_expo), "-f", "csv")
    assert len(cached_files()) == 1
    assert "expo.csv" in cold.stderr
    assert warm.stderr == cold.stderr


def test_a_damaged_cache_entry_is_ignored(big_expo):
    readers.load([str(big_expo)])
    (entry,) = cached_files()
    entry.write_bytes(b"not parquet")
    loaded = readers.load([str(big_expo)])
    fresh = readers.load([str(big_expo)], use_cache=False)
    pd.testing.assert_frame_equal(loaded.flows, fresh.flows)
