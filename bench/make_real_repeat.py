"""Write one big DANE export file (EXPO) from DANE's real 2023 months, repeated over years.

    python bench/make_real_repeat.py --years 2011-2023 --out /tmp/dane-real/expo.csv
    python bench/make_real_repeat.py --years 2010-2023 --copies 2 --out /tmp/expo-6m.csv
    python bench/make_real_repeat.py --years 2015-2023 --rows 5000000 --out /tmp/expo-5m.csv

Why: make_microdata.py draws random values over a made-up mix of partners and a pool of
tariff codes; these are the real lines of DANE's EXPO microdata for January to June 2023
(221,180 declaration lines, 189 DIAN country codes, some 3,500 subheadings, as a third party
downloaded and committed them; see /work/shared/realdata/hunt1/PROVENANCE.md), so the
partners, products, value spread and the file's own habits (comma delimiter, CRLF, whole
dollars, 9-digit tariff codes that lost their leading zero, a `-` in PBK and PNK for
electricity) are DANE's. Only the size is made up.

What it writes: the real files' header line, then, for every year asked and every month
found in `--source`, the month's lines `--copies` times, with FECH rewritten to that year:
`2306` becomes `1106` for June 2011, as YYMM exactly as the real files write it (four
digits, the year's last two with a leading zero). Every other byte of every line is kept
as it is, line endings included. Years go from 2000 to 2079 (a two-digit year from 80 reads
as 19xx). The figures of each year are therefore the 2023 figures times `--copies`, which
real_bench.py uses as a known answer.

The real files are third-party data: they are read where they are, never copied into the
repository, and `--out` may not point inside it. When they are absent the script stops and
says where it looked.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "realdata" / "hunt1" / "dane-expo-2023"
MONTH_FILE = re.compile(r"^(\d{4})-(\d{2})_.*\.csv$", re.IGNORECASE)
EXPO_HEADER = ("FECH,ADUA,PAIS,COD_PAI4,COD_SAL1,COD_SAL,DPTO2,VIA,BANDERA,REGIM,MODAD,FINALID,"
               "CER_ORI1,SISESP,POSAR,DPTO1,UNID,CODUNI2,CANTI,PBK,PNK,FOBDOL,FOBPES,AGRENA,"
               "FLETES,SEGURO,OTROSG")
# sha256 of the files as PROVENANCE.md gives them (first 8 and last 4 hex digits)
PROVENANCE = {
    "2023-01_Enero.csv": ("e7145c67", "c6a5"),
    "2023-02_Febrero.csv": ("8b9db653", "f25e"),
    "2023-03_Marzo.csv": ("61ace250", "0f0e"),
    "2023-04_Abril.csv": ("22bae4bb", "b153"),
    "2023-05_Mayo.csv": ("dc6b5c24", "e144"),
    "2023-06_Junio.csv": ("f83d529c", "156d"),
}
FIRST_YEAR, LAST_YEAR = 2000, 2079


class MissingMonths(Exception):
    """The real files are not where we looked, or are not DANE's EXPO months."""


@dataclass
class Month:
    """One real month: its file, header line, declaration lines and FECH (YYMM)."""

    path: Path
    header: bytes  # the header line, its line ending included
    lines: bytes  # every declaration line, each with its line ending
    fech: str  # "2306"
    rows: int
    sha256: str

    @property
    def month(self) -> str:
        return self.fech[2:]

    @property
    def as_published(self) -> bool | None:
        """Whether the file is the one PROVENANCE.md describes (None: a name it lacks)."""
        known = PROVENANCE.get(self.path.name)
        if known is None:
            return None
        return self.sha256.startswith(known[0]) and self.sha256.endswith(known[1])


def read_month(path: Path) -> Month:
    """One real EXPO month -> its Month; MissingMonths if it is not one month of EXPO lines
    in the real files' layout."""
    data = path.read_bytes()
    end = data.find(b"\n")
    if end < 0:
        raise MissingMonths(f"{path}: no header line")
    header, lines = data[: end + 1], data[end + 1:]
    if header.rstrip(b"\r\n").decode("ascii", "replace") != EXPO_HEADER:
        raise MissingMonths(f"{path}: not the EXPO header of the real 2023 files "
                            f"(starts {header[:60]!r})")
    if not lines:
        raise MissingMonths(f"{path}: no declaration lines")
    if not lines.endswith(b"\n"):  # the last line ended as the others are
        lines += b"\r\n" if header.endswith(b"\r\n") else b"\n"
    fech = lines[:4].decode("ascii", "replace")
    match = MONTH_FILE.match(path.name)
    named = f"{match.group(1)[2:]}{match.group(2)}" if match else None
    if not re.fullmatch(r"\d{4}", fech) or (named and fech != named):
        raise MissingMonths(f"{path}: the first line's FECH is {fech!r}, expected {named}")
    # FECH is the first field: every line must start with it, so that rewriting is exact
    rows = lines.count(b"\n")
    starting = lines.count(b"\n" + fech.encode() + b",") + lines.startswith(fech.encode() + b",")
    if starting != rows:
        raise MissingMonths(f"{path}: {rows - starting:,} of {rows:,} lines do not start with "
                            f"FECH {fech} (one month per file is expected)")
    return Month(path, header, lines, fech, rows, hashlib.sha256(data).hexdigest())


def source_months(folder: Path) -> list[Month]:
    """The real months in `folder` (files named YYYY-MM_*.csv), in month order."""
    if not folder.is_dir():
        raise MissingMonths(f"{folder}: no such folder. The real DANE EXPO months (2023-01_"
                            f"Enero.csv ... 2023-06_Junio.csv) are read from there; pass "
                            f"--source FOLDER where they are")
    paths = sorted(p for p in folder.iterdir() if MONTH_FILE.match(p.name) and p.is_file())
    if not paths:
        raise MissingMonths(f"{folder}: no file named like 2023-01_Enero.csv (YYYY-MM_*.csv); "
                            f"pass --source FOLDER where DANE's real EXPO months are")
    months = [read_month(p) for p in paths]
    seen: dict[str, Path] = {}
    for m in months:
        if m.header != months[0].header:
            raise MissingMonths(f"{m.path}: its header differs from {months[0].path.name}'s")
        if m.month in seen:
            raise MissingMonths(f"{m.path} and {seen[m.month]}: the same month twice")
        seen[m.month] = m.path
    return months


def parse_years(text: str) -> list[int]:
    """'2011-2023' or '2010,2015-2023' -> the years, in order, each once."""
    years: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", part)
        if not match:
            raise ValueError(f"--years {text!r}: expected YEAR, FIRST-LAST or a list of them")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if first > last:
            raise ValueError(f"--years {part.strip()}: {first} is after {last}")
        years.extend(y for y in range(first, last + 1) if y not in years)
    if not all(FIRST_YEAR <= y <= LAST_YEAR for y in years):
        raise ValueError(f"--years: FECH is YYMM, which reads as {FIRST_YEAR} to {LAST_YEAR}")
    return years


def copies_for(rows: int, months: list[Month], years: list[int]) -> int:
    """The fewest copies of each month that give at least `rows` lines."""
    return max(1, math.ceil(rows / (sum(m.rows for m in months) * len(years))))


def write(months: list[Month], years: list[int], copies: int, out: Path) -> int:
    """Write the repeated file to `out` (through a partial file) -> its rows."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    rows = 0
    with partial.open("wb") as sink:
        sink.write(months[0].header)
        for year in years:
            for m in months:
                new = f"{year % 100:02d}{m.month}".encode()
                old = m.fech.encode()
                # FECH starts every line (checked by read_month): only it is replaced
                block = new + m.lines[len(old):].replace(b"\n" + old + b",", b"\n" + new + b",")
                for _ in range(copies):
                    sink.write(block)
                rows += m.rows * copies
    partial.replace(out)
    return rows


def inside_repository(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="folder of the real months (default: %(default)s)")
    parser.add_argument("--years", default="2011-2023",
                        help="years to repeat the months over: FIRST-LAST or a list "
                             "(default: %(default)s)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--copies", type=int, default=1,
                      help="times each month's lines are written per year (default 1)")
    size.add_argument("--rows", type=int,
                      help="at least this many lines: the copies are chosen to reach it")
    parser.add_argument("--out", type=Path, required=True,
                        help="the file to write (outside the repository: the lines are "
                             "DANE's real data)")
    args = parser.parse_args()
    try:
        years = parse_years(args.years)
    except ValueError as exc:
        parser.error(str(exc))
    if args.copies < 1 or (args.rows is not None and args.rows < 1):
        parser.error("--copies and --rows must be at least 1")
    if inside_repository(args.out):
        parser.error(f"--out {args.out}: inside the repository; the lines are third-party "
                     f"real data, write them elsewhere (e.g. /tmp)")
    try:
        months = source_months(args.source)
    except MissingMonths as exc:
        print(f"make_real_repeat: {exc}", file=sys.stderr)
        sys.exit(2)
    for m in months:
        if m.as_published is False:
            print(f"make_real_repeat: note: {m.path.name} is not the file PROVENANCE.md "
                  f"describes (sha256 {m.sha256[:8]}...{m.sha256[-4:]})", file=sys.stderr)
    copies = copies_for(args.rows, months, years) if args.rows else args.copies
    started = time.perf_counter()
    rows = write(months, years, copies, args.out)
    took = time.perf_counter() - started
    print(f"{args.out}: {rows:,} rows ({len(months)} real months x {len(years)} years x "
          f"{copies} cop{'y' if copies == 1 else 'ies'}), {args.out.stat().st_size / 1e6:,.0f} "
          f"MB, written in {took:.1f} s")


if __name__ == "__main__":
    main()
