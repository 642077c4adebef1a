"""What the reference scripts share: their command line, pa-trade's DIAN code table, the
output they write and the summary they print. Each script keeps only its engine's work."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable
from pathlib import Path

IMPORT_COLUMNS = {"cif": "VACID", "fob": "VAFODO"}


def arguments(doc: str) -> argparse.Namespace:
    """EXPO IMPO --countries CSV --out CSV [--valuation cif|fob]."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expo", type=Path)
    parser.add_argument("impo", type=Path)
    parser.add_argument("--countries", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--valuation", choices=sorted(IMPORT_COLUMNS), default="cif")
    return parser.parse_args()


def dian_to_iso3(path: Path) -> dict[int, str]:
    """DIAN code (as a number) -> ISO3, from the `dian_codes` column of pa-trade's table."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {int(code): row["iso3"] for row in csv.DictReader(handle)
                for code in row["dian_codes"].split()}


def add_up(found: Iterable[tuple], side: int, table: dict[int, str], balance: dict,
           unmapped: dict, flow: str) -> None:
    """Add (raw code, FECH, lines, value) groups into balance[(partner, year)][side]."""
    for raw, fech, lines, amount in found:
        year = fech // 100 + (2000 if fech < 10_000 else 0)
        text = str(raw).strip()
        partner = table.get(int(text)) if text.isdigit() else None
        if partner is None:
            entry = unmapped.setdefault((flow, raw), [0, 0.0])
            entry[0] += lines
            entry[1] += amount
            continue
        sums = balance.setdefault((partner, year), [None, None])
        sums[side] = amount + (sums[side] or 0.0)


def write_balance(path: Path, rows: Iterable[tuple]) -> None:
    """partner,year,exports_usd,imports_usd; a missing side stays empty."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["partner", "year", "exports_usd", "imports_usd"])
        for partner, year, exports, imports in rows:
            writer.writerow([partner, int(year)] + [
                "" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))
                for v in (exports, imports)])


def summary(engine: str, rows: dict[str, int], unmapped: Iterable[tuple]) -> None:
    """The JSON line run.py reads: engine, rows read per flow, codes not mapped."""
    print(json.dumps({
        "engine": engine,
        "rows": {flow: int(count) for flow, count in rows.items()},
        "unmapped": [{"flow": flow, "code": str(code), "rows": int(count),
                      "value_usd": value if isinstance(value, str) else f"{value:.2f}"}
                     for flow, code, count, value in unmapped],
    }))


def python_balance(args: argparse.Namespace, sums, engine: str) -> None:
    """For engines that sum by raw (code, FECH): map, add up and write in Python."""
    table = dian_to_iso3(args.countries)
    balance: dict[tuple[str, int], list] = {}
    unmapped: dict[tuple[str, str], list] = {}
    rows = {}
    for side, (path, code, value) in enumerate([
        (args.expo, "PAIS", "FOBDOL"),
        (args.impo, "PAISGEN", IMPORT_COLUMNS[args.valuation]),
    ]):
        flow = ("export", "import")[side]
        found, rows[flow] = sums(path, code, value)
        add_up(found, side, table, balance, unmapped, flow)
    write_balance(args.out, ((p, y, *v) for (p, y), v in sorted(balance.items())))
    summary(engine, rows, ((f, c, v[0], v[1]) for (f, c), v in sorted(unmapped.items())))
