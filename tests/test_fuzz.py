"""A seeded mutator over every sample layout (issue 11): 2,000 damaged files, each loaded as
the command line loads it. For every case: no internal error (only pa-trade's own errors,
which the command line shows in one line with their exit code), rows read = used + set
aside in every report, and flows that were read write out as pa-trade's tidy CSV and read
back to the same flows."""

from __future__ import annotations

import io
import random

import pytest

from pa_trade import flows, readers
from pa_trade.errors import PaTradeError
from tests.conftest import FIXTURES

SAMPLES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".csv", ".txt"))
CASES_PER_SAMPLE = 2000 // len(SAMPLES) + 1
JUNK = [b"\x00", b"\xff", b"\xe9", b'"', b";", b",", b"\t", b"\n", b"\r", b"\r\n", b"-",
        b"..", b"1e999", b"9" * 30, b"\xd9\xa1", b"=", b"(1)", b"*", b"Total", b" "]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three damages of the kinds downloads and hand edits make."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data) + 1)
        kind = rng.randrange(6)
        if kind == 0:  # bytes that do not belong
            data = data[:at] + rng.choice(JUNK) + data[at:]
        elif kind == 1:  # bytes lost
            data = data[:at] + data[at + rng.randint(1, 40):]
        elif kind == 2:  # a download cut short
            data = data[:max(at, 1)]
        elif kind == 3:  # a line twice
            lines = data.split(b"\n")
            index = rng.randrange(len(lines))
            lines.insert(index, lines[index])
            data = b"\n".join(lines)
        elif kind == 4:  # two lines swapped
            lines = data.split(b"\n")
            if len(lines) > 2:
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        else:  # a cell emptied
            data = data[:at] + data[at:].replace(b";", b";;", 1)
    return data or b" "


def load_or_refuse(path) -> readers.Loaded | None:
    try:
        return readers.load([str(path)], use_cache=False)
    except PaTradeError as exc:
        assert "\n" not in str(exc).strip()
        return None


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_damaged_samples_never_end_in_an_internal_error(sample, tmp_path):
    rng = random.Random(sample.name)  # seeded: the same cases on every run
    original = sample.read_bytes()
    for case in range(CASES_PER_SAMPLE):
        damaged = mutate(original, rng)
        path = tmp_path / f"case{case}{sample.suffix}"
        path.write_bytes(damaged)
        try:
            loaded = load_or_refuse(path)
        except Exception as exc:  # an internal error: exit 70 on the command line
            raise AssertionError(f"case {case} of {sample.name}: {type(exc).__name__}: {exc}"
                                 f"\n{damaged[:300]!r}") from exc
        if loaded is None:
            continue
        for report in loaded.reports:
            assert report.balanced, (case, report.summary_lines())
        if loaded.flows.empty:
            continue
        out = io.StringIO()
        flows.to_tidy_csv(loaded.flows, out)
        back = tmp_path / f"case{case}-flows.csv"
        back.write_text(out.getvalue(), encoding="utf-8")
        again = readers.load([str(back)], use_cache=False)
        assert not again.reports[0].set_aside, (case, again.reports[0].summary_lines())
        keep = ["reporter", "partner", "year", "month", "months", "flow", "valuation",
                "hs_code", "value_usd"]
        first = loaded.flows[keep].sort_values(keep[:-1]).reset_index(drop=True)
        second = again.flows[keep].sort_values(keep[:-1]).reset_index(drop=True)
        assert first.equals(second), (case, sample.name)
