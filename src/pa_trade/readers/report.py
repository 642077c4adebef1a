"""The account every load ends in: rows read = rows used + rows set aside, with reasons."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

# Why a row was set aside; the keys are stable, the texts are what users read.
REASONS = {
    "bad-number": "a value that is not a number (or too large to hold to the cent)",
    "missing-value": "no value in the value field",
    "unknown-country": "a country or area that is not recognised",
    "bad-date": "a date that is not YYMM, YMM or YYYYMM of 1900-2099",
    "bad-field": "a field with an invalid value",
    "bad-field-count": "a line with the wrong number of fields",
    "damaged-quote": "a quote that opens and does not close where it should",
    "no-figures": "a table row with no figure in any year",
    "duplicate-row": "a row repeating an earlier one (the same flow and figure twice)",
    "conflicting-row": "rows giving different figures for the same flow",
    "reporter-is-partner": "a row whose partner is the reporter itself (no bilateral flow)",
    # UN Comtrade's records (fetched, or in its files)
    "not-a-total": "a record broken down by second partner, customs procedure or mode of "
                   "transport, not a total",
    "not-a-chapter": "a record that is not an HS chapter",
    "duplicate-record": "a record repeating an earlier one",
    "duplicate-area": "two Comtrade codes of one country (an older and the current area)",
    "re-export": "a re-export: not counted as exports",
    "re-import": "a re-import: not counted as imports",
    "part-of-flow": "domestic exports or foreign imports: a part of exports or imports, "
                    "counted in them",
    "nested-code": "a product inside a coarser row of the same flow (the TOTAL or a "
                   "shorter HS code), counted there",
    "not-hs": "a product code of another classification than HS (SITC, BEC)",
    "other-operation": "an operation of another kind than an export or import of goods "
                       "(Aduanas' COD_TIPO_OPERACION)",
}


@dataclass(frozen=True)
class SetAside:
    """One row not used: where it is, why, and what it said."""

    line: int
    reason: str
    detail: str = ""


@dataclass
class LoadReport:
    """What happened to every row of one file."""

    file: str
    layout: str
    rows_read: int = 0
    rows_used: int = 0
    set_aside: list[SetAside] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    number_style: str = ""
    unit: str = ""
    position: str = "line"  # what a place in the file is called: a line, or a row of a
    # Stata, SPSS or Excel file
    country_codes: str = ""  # how numeric partner codes were read: dian or iso
    no_values: bool = False  # every row lacks its value (DANE's CSVs of some months)
    months_named: list[list[int]] = field(default_factory=list)  # [year, month] those rows
    # name, when no_values
    of_this_run: bool = False  # its notes say something of this run only (a damaged cache
    # entry rebuilt), not of the file: what is printed from it is not kept (cli.results)

    def add(self, line: int, reason: str, detail: str = "") -> None:
        """Record one set-aside row."""
        self.set_aside.append(SetAside(line, reason, detail))

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + len(self.set_aside)

    def summary_lines(self) -> list[str]:
        """One line per set-aside reason (with the first lines and details) and one per note."""
        out = []
        by_reason: dict[str, list[SetAside]] = defaultdict(list)
        for row in self.set_aside:
            by_reason[row.reason].append(row)
        for reason, rows in by_reason.items():
            shown = ", ".join(
                f"{r.line}" + (f" ({r.detail})" if r.detail else "") for r in rows[:3]
            )
            more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
            what = REASONS.get(reason, reason)
            plural = "row" if len(rows) == 1 else "rows"
            out.append(
                f"{self.file}: set aside {len(rows):,} {plural} [{reason}] {what}: "
                f"{self.position} {shown}{more}"
            )
        for note in self.notes:
            out.append(f"{self.file}: note: {note}")
        return out

    def first_problem(self) -> str:
        """One line naming the first set-aside row, for --strict failures."""
        row = self.set_aside[0]
        detail = f": {row.detail}" if row.detail else ""
        more = len(self.set_aside) - 1
        tail = f" ({more} more set-aside rows)" if more else ""
        return (f"{self.file}: {self.position} {row.line}: "
                f"{REASONS.get(row.reason, row.reason)}{detail}{tail}")


def _bundle_lines(bundles: list[tuple[str, list[str], str]]) -> list[str]:
    """One line per archive or folder whose months come in several formats: how many, and
    from which format each was read."""
    from collections import Counter
    from pathlib import Path

    from pa_trade.readers.inputs import SEPARATOR

    groups: dict[str, list[tuple[str, list[str], str]]] = {}
    for chosen, others, read_as in bundles:
        where = chosen.split(SEPARATOR)[0] if SEPARATOR in chosen else str(Path(chosen).parent)
        groups.setdefault(where, []).append((chosen, others, read_as))
    folders = [w for w in groups if not w.lower().endswith(".zip")]
    if len(folders) > 1:  # months unpacked each in a folder of its own: one line for all
        import os

        common = os.path.commonpath(folders)
        for where in folders:
            groups.setdefault(common, []).extend(groups.pop(where))
    out = []
    for where, entries in groups.items():
        if len(entries) == 1:
            chosen, others, read_as = entries[0]
            out.append(f"{chosen}: counted once, from its {read_as}; {', '.join(others)} "
                       f"{'holds' if len(others) == 1 else 'hold'} the same data in other "
                       f"formats")
            continue
        formats = Counter(read_as for _, _, read_as in entries)
        read = ", ".join(f"{n} from the {fmt}" for fmt, n in formats.most_common())
        out.append(f"{where}: {len(entries)} files come in several formats (CSV, Stata, "
                   f"SPSS) with the same data, compared and counted once: {read}")
    return out


def report_lines(loaded) -> list[str]:
    """What the load report says on stderr: files skipped, then each file's account. A note
    that several files of one archive or folder share (the number style, the code system)
    is said once, for the first of them, with how many more it holds for."""
    import re

    out = [f"skipped {duplicate}" for duplicate in loaded.skipped_duplicates]
    out += [f"skipped {why}" for why in loaded.skipped_files]
    out += _bundle_lines(loaded.bundles_read_once)
    shared: dict[str, list[str]] = {}
    lines: list[tuple[str, str]] = []
    for report in loaded.reports:
        for note in report.notes:
            shared.setdefault(re.sub(r"\d[\d.,]*", "#", note), []).append(note)
        for line in report.summary_lines():
            lines.append((report.file, line))
    said: set[str] = set()
    for file, line in lines:
        prefix = f"{file}: note: "
        if line.startswith(prefix):
            shape = re.sub(r"\d[\d.,]*", "#", line[len(prefix):])
            notes = shared.get(shape, [])
            if len(notes) > 2:
                if shape in said:
                    continue
                said.add(shape)
                same = all(n == notes[0] for n in notes)
                line += (f" (and so in {len(notes) - 1} more files)" if same else
                         f" (and in {len(notes) - 1} more files, with their own figures)")
        out.append(line)
    return out
