"""The account every load ends in: rows read = rows used + rows set aside, with reasons."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

# Why a row was set aside; the keys are stable, the texts are what users read.
REASONS = {
    "bad-number": "a value that is not a number",
    "missing-value": "no value in the value field",
    "unknown-country": "a country or area that is not recognised",
    "bad-date": "a date that is not YYMM, YMM or YYYYMM",
    "bad-field": "a field with an invalid value",
    "bad-field-count": "a line with the wrong number of fields",
    "no-figures": "a table row with no figure in any year",
    "duplicate-row": "a row repeating an earlier one (the same flow and figure twice)",
    "conflicting-row": "rows giving different figures for the same flow",
    "reporter-is-partner": "a row whose partner is the reporter itself (no bilateral flow)",
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
