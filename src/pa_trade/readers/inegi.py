"""INEGI's trade by country, the open data of the Balanza Comercial de Mercancías de México
(`inegi-bcmm`): Mexico's own figures, one long CSV.

Two sets share the layout, told apart by their columns:

- monthly, by type of good (`bcmm_paises_bien_mensual_tr_cifra_*.csv`):
  `PROD_EST,COBERTURA,ANIO,MES,TIPO,TIPO_BIEN,CLAVE_CONTINENTE,CLAVE_REGION,PAIS_O_D,VAL_USD,
  ESTATUS_CIFRA,ESTATUS`, VAL_USD in **thousands** of US dollars FOB (the dictionary says
  so; the file never does). A partner's month is the sum of its three types of good
  (Consumo, Intermedio, Capital). The hierarchy stands in one table: every code column empty
  is the world, a continent code alone (C01..C05) a continent, a region code (R01..R15)
  without a country a region; these are kept as aggregates (WLD, XAM, XEU, ...).
- annual, by tariff code (`TIPO,ANIO,MES,TARIFA,UMED,PAIS_O_D,CANTIDAD,VAL_MNX,VAL_USD,...`),
  VAL_USD in **dollars**; MES `01-12`, or `01-06` and `07-12` in years of a tariff amendment.
  The same trade stands at several tariff levels (subheading `80440`, fraction `8044001`,
  NICO `804400100`); only the coarsest the file gives for a partner and period is read, the
  finer rows are set aside as nested-code: the coarsest level holds the whole period (a
  finer level changes with each amendment, and its rows may be confidential where the
  coarser one is not), and it is the HS subheading other countries report.

Partners are ISO alpha-3 codes and INEGI's own (ZYA the Netherlands, EMU, YUG, ...), read
through data/inegi_codes.csv. `Confidencial` rows have no value: set aside as missing-value,
never read as zero, and said in a note. The status (`Cifras Revisadas.`, `Definitivas.`,
`Preliminares.`, `Ajustadas.`) goes into each figure's source. The reporter is Mexico, from
what the file says: its PROD_EST (the Balanza Comercial de Mercancías de México) or, where
a re-saved file dropped it, its values in Mexican pesos (VAL_MNX).
"""

from __future__ import annotations

import re
from decimal import Decimal

from pa_trade import numbers
from pa_trade.errors import DataError
from pa_trade.readers.common import short_name
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries
from pa_trade.textio import SourceFile

LAYOUT = "inegi-bcmm"
NEEDED = ("ANIO", "MES", "TIPO", "PAIS_O_D", "VAL_USD")
# columns only INEGI's sets have beside NEEDED: one of them is asked for too
OWN = ("ESTATUS_CIFRA", "CLAVE_CONTINENTE", "TARIFA", "VAL_MNX")
FLOWS = {"exportaciones": "export", "exportacion": "export", "importaciones": "import",
         "importacion": "import"}
TYPES_OF_GOOD = ("Consumo", "Intermedio", "Capital")
REPORTER = "MEX"
_MONTHS = re.compile(r"^(\d{1,2})(?:-(\d{1,2}))?$")
_VALUE = re.compile(r"^-?\d+(\.\d+)?$")
_TARIFF = re.compile(r"^\d{1,10}$")


def _names(header: list[str]) -> list[str]:
    return [c.strip().strip('"').strip().upper().lstrip("\ufeff") for c in header]


def is_inegi_header(header: list[str]) -> bool:
    """Whether a header is that of INEGI's BCMM by-country open data."""
    names = set(_names(header))
    return set(NEEDED) <= names and any(c in names for c in OWN)


def read_inegi(src: SourceFile):
    """Read one INEGI BCMM file -> (canonical flows, LoadReport).

    Every data line is used or set aside with its line number; DataError when the file
    does not say it is Mexico's or its unit cannot be told.
    """
    import csv
    import io

    report = LoadReport(src.name, LAYOUT, encoding=src.encoding, delimiter="comma",
                        number_style="plain")
    reader = csv.reader(io.StringIO(src.text, newline=""))
    header = _names(next(reader, []))
    at = {name: index for index, name in enumerate(header)}
    missing = [c for c in NEEDED if c not in at]
    if missing:
        raise DataError(f"{src.name}: line 1: missing column(s) {', '.join(missing)}")
    by_type = "TIPO_BIEN" in at
    by_tariff = "TARIFA" in at
    if by_type == by_tariff:
        raise DataError(f"{src.name}: line 1: INEGI's columns, but "
                        f"{'both' if by_type else 'neither'} TIPO_BIEN (the monthly set, "
                        f"thousands of dollars) {'and' if by_type else 'nor'} TARIFA (the "
                        f"annual set, dollars): the unit of VAL_USD cannot be told")
    multiplier = Decimal(1000) if by_type else Decimal(1)
    report.unit = ("thousands of US dollars FOB (INEGI's dictionary)" if by_type
                   else "US dollars FOB (INEGI's annual set)")
    reading = _Rows(src.name, report, at, len(header), multiplier, by_tariff)
    line = reader.line_num
    for cells in reader:
        first, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        reading.add(first, cells)
    if reading.product is None and "VAL_MNX" not in at:
        raise DataError(f"{src.name}: INEGI's columns, but neither a PROD_EST naming the "
                        f"Balanza Comercial de Mercancías de México nor values in pesos "
                        f"(VAL_MNX): cannot tell whose trade this is")
    return reading.finish()


class _Rows:
    """The data lines of one file, into canonical flows."""

    def __init__(self, name: str, report: LoadReport, at: dict[str, int], width: int,
                 multiplier: Decimal, by_tariff: bool) -> None:
        self.name, self.report, self.at, self.width = name, report, at, width
        self.multiplier, self.by_tariff = multiplier, by_tariff
        self.product: str | None = None  # the PROD_EST of the first row
        self.source = f"INEGI, BCMM ({short_name(name)})"
        # (line, key, tariff, value or None) of the rows read so far; key is (flow, year,
        # month, months, partner); the levels are chosen once every row is in
        self.entries: list[tuple[int, tuple, str | None, Decimal | None, str]] = []
        self.types: dict[tuple, set[str]] = {}  # (flow, year, month, months) -> types

    def cell(self, cells: list[str], name: str) -> str:
        index = self.at.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def add(self, line: int, cells: list[str]) -> None:
        report = self.report
        report.rows_read += 1
        if len(cells) != self.width:
            report.add(line, "bad-field-count", f"{len(cells)} fields, header has {self.width}")
            return
        product = self.cell(cells, "PROD_EST")
        if "PROD_EST" in self.at:
            if self.product is None:
                if "mexico" not in countries.normalize(product):
                    raise DataError(f"{self.name}: line {line}: PROD_EST {product!r} does not "
                                    f"name Mexico's Balanza Comercial de Mercancías: cannot "
                                    f"tell whose trade this is")
                self.product = product
            elif product != self.product:
                report.add(line, "bad-field", f"PROD_EST {product!r}, not the file's "
                                              f"{self.product!r}")
                return
        flow = FLOWS.get(countries.normalize(self.cell(cells, "TIPO")))
        if flow is None:
            report.add(line, "bad-field", f"TIPO {self.cell(cells, 'TIPO')!r} is neither "
                                          f"Exportaciones nor Importaciones")
            return
        year_text, month_text = self.cell(cells, "ANIO"), self.cell(cells, "MES")
        period = _period(year_text, month_text)
        if period is None:
            report.add(line, "bad-date", f"ANIO {year_text!r}, MES {month_text!r}")
            return
        year, month, months = period
        partner, said = self.partner(cells)
        if partner is None:
            report.add(line, "unknown-country", said)
            return
        if partner == REPORTER:
            report.add(line, "reporter-is-partner", said)
            return
        tariff = None
        if self.by_tariff:
            tariff = self.cell(cells, "TARIFA")
            if tariff.endswith(".0"):
                tariff = tariff[:-2]
            if tariff and not _TARIFF.match(tariff):
                report.add(line, "bad-field", f"TARIFA {tariff!r}")
                return
            # Mexico's codes have even lengths (6, 8, 10 digits): a file saved through a
            # number column lost the leading zero of chapters 01-09
            tariff = "0" + tariff if len(tariff) % 2 else tariff
        value_text = self.cell(cells, "VAL_USD")
        value = None
        if not numbers.is_missing(value_text):
            if not _VALUE.match(value_text):
                report.add(line, "bad-number", f"VAL_USD {value_text!r}")
                return
            value = Decimal(value_text) * self.multiplier
            if not numbers.holds(value):
                report.add(line, "bad-number", f"VAL_USD {value_text!r}")
                return
        elif self.cell(cells, "ESTATUS_CIFRA").lower() not in ("confidencial", ""):
            report.add(line, "missing-value", f"VAL_USD, ESTATUS_CIFRA "
                                              f"{self.cell(cells, 'ESTATUS_CIFRA')!r}")
            return
        status = self.cell(cells, "ESTATUS").rstrip(".").strip()
        kind = self.cell(cells, "TIPO_BIEN")
        if kind:
            self.types.setdefault((flow, year, month, months), set()).add(kind)
        self.entries.append((line, (flow, year, month, months, partner), tariff, value, status))

    def partner(self, cells: list[str]) -> tuple[str | None, str]:
        """(pa-trade's code, what the row said) from the country, region and continent
        columns: the finest filled one names the row's partner; none filled is the world."""
        for column in ("PAIS_O_D", "CLAVE_REGION", "CLAVE_CONTINENTE"):
            text = self.cell(cells, column)
            if text:
                return countries.inegi_to_code(text), f"{column} {text!r}"
        return "WLD", "the world"

    def finish(self):
        import pandas as pd

        from pa_trade import flows

        report = self.report
        kept = self.entries
        if self.by_tariff:
            kept = self.coarsest()
        records, confidential = [], []
        cent = Decimal("0.01")
        for line, (flow, year, month, months, partner), tariff, value, status in kept:
            if value is None:
                report.add(line, "missing-value", "Confidencial: withheld by INEGI, not zero")
                confidential.append((flow, year, month, months, partner))
                continue
            records.append({
                "reporter": REPORTER, "partner": partner, "year": year, "month": month,
                "months": months, "flow": flow, "value_usd": float(value.quantize(cent)),
                "valuation": "FOB", "hs_code": tariff,
                "source": f"{self.source}, {status}" if status else self.source})
            report.rows_used += 1
        if confidential:
            shown = ", ".join(_gap_text(g) for g in confidential[:3])
            more = f" and {len(confidential) - 3} more" if len(confidential) > 3 else ""
            report.notes.append(
                f"{len(confidential):,} cell{'s are' if len(confidential) != 1 else ' is'} "
                f"confidential (no value; INEGI withholds them): the sums of those partners "
                f"and periods lack them ({shown}{more})")
        self.note_types()
        report.set_aside.sort(key=lambda r: r.line)
        return flows.aggregate(pd.DataFrame(records) if records else None), report

    def coarsest(self) -> list:
        """The entries at the coarsest tariff level of their partner and period; the others
        set aside as nested-code (a finer code inside one the file also gives)."""
        codes: dict[tuple, set[str]] = {}
        for _, key, tariff, _, _ in self.entries:
            codes.setdefault(key, set()).add(tariff or "")
        out = []
        for entry in self.entries:
            line, key, tariff, _, _ = entry
            tariff = tariff or ""
            inside = min((c for c in codes[key] if len(c) < len(tariff)
                          and tariff.startswith(c)), key=len, default=None)
            if inside is None:
                out.append(entry)
            else:
                self.report.add(line, "nested-code",
                                f"TARIFA {tariff} inside {inside or 'the total'}, read there")
        return out

    def note_types(self) -> None:
        """A note for periods that lack some of the three types of good: their figures are
        of the types given only (an excerpt, a file cut by type)."""
        partial = {period: kinds for period, kinds in self.types.items()
                   if not set(TYPES_OF_GOOD) <= kinds}
        if not partial:
            return
        from pa_trade.periods import MONTH_NAMES

        shown = []
        for (flow, year, month, _), kinds in sorted(partial.items(), key=str)[:3]:
            when = f"{MONTH_NAMES[month]} {year}" if month else f"{year}"
            shown.append(f"{flow}s of {when}: {', '.join(sorted(kinds))}")
        more = f" and {len(partial) - 3} more" if len(partial) > 3 else ""
        self.report.notes.append(
            f"{len(partial):,} period{'s' if len(partial) != 1 else ''} give"
            f"{'' if len(partial) != 1 else 's'} only some types of good "
            f"({'; '.join(shown)}{more}): their figures are the sum of those types, not the "
            f"whole trade ({', '.join(TYPES_OF_GOOD)})")


def _period(year_text: str, month_text: str) -> tuple[int, int | None, str | None] | None:
    """(year, month, months) of ANIO and MES: '2026','1' -> (2026, 1, None); '2007','01-06'
    -> (2007, None, '1-6'); '2003','01-12' -> (2003, None, None), the whole year."""
    from pa_trade import periods

    if not re.fullmatch(r"\d{4}", year_text):
        return None
    year = int(year_text)
    found = _MONTHS.match(month_text)
    if not periods.FIRST_YEAR <= year <= periods.LAST_YEAR or found is None:
        return None
    first = int(found.group(1))
    last = int(found.group(2)) if found.group(2) else first
    if not 1 <= first <= last <= 12:
        return None
    if first == last:
        return year, first, None
    if (first, last) == (1, 12):
        return year, None, None
    return year, None, f"{first}-{last}"


def _gap_text(gap: tuple) -> str:
    from pa_trade.periods import MONTH_NAMES

    flow, year, month, months, partner = gap
    when = f"{MONTH_NAMES[month]} {year}" if month else f"{year}" + (f" ({months})" if months
                                                                      else "")
    return f"{partner} {flow}s {when}"
