"""Chile's customs declarations as the Servicio Nacional de Aduanas publishes them on
aduana.cl: exports ("Salidas", DUS: `aduanas-salidas`) and imports ("Ingresos", DIN:
`aduanas-ingresos`), one row per declaration item. Chile's own figures.

Both are CSVs split by `;`, names quoted in the header, a **decimal comma** in values
(`29501,08`), no thousands mark:

- Salidas: `PERIODO;MES;...;COD_TIPO_OPERACION;...;COD_PAIS_DESTINO;...;ITEM_SA;
  FOB_US_DUSLEG;FOBUS_AJUSTADO_IVV;...`. The export value is FOBUS_AJUSTADO_IVV, US dollars
  FOB as adjusted by the informes de variación de valor: a consignment sale is legalised at
  a provisional value (FOB_US_DUSLEG) and settled later; the adjusted value is what was
  sold. A note says how far the two columns differ.
- Ingresos: `PERIODO;MES;...;COD_TIPO_OPERACION;COD_PAIS_ORIGEN;COD_PAIS_ADQUISICION;...;
  ITEM_SA;CIF_US;...`: imports by country of origin, US dollars CIF.

Only the operations that are exports (COD_TIPO_OPERACION 200-207, 210-213, 216) or imports
(101-105, 113, 115, 116, 119-123, 129, 130, 134, 142, 151, 152, 165, 171, 179, 180) are
flows; other rows are set aside as other-operation. Country codes are Aduanas' own (225 the
United States, 336 China, 528 Poland), read through data/aduanas_countries.csv only: they
collide with ISO numeric codes (336 is the Vatican, 528 the Netherlands in ISO) and are never
read as ISO. 997 is Chile itself. ITEM_SA, the 8-digit Chilean tariff code, is the row's
hs_code, as text. Quirks: `ingresos2024.csv` writes codes with a decimal comma (`2024,00`);
2024 files are Latin-1 and 2026 UTF-8; CANTIDAD_MERCANCIA may be spelt with an accent.

The header-less `.txt` files of datos.gob.cl's "Registro de Importaciones/Exportaciones"
(84 DUS or 178 DIN fields) are refused: their field order is not known here.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pa_trade import numbers
from pa_trade.errors import DataError
from pa_trade.readers.common import fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries
from pa_trade.textio import SourceFile

REPORTER = "CHL"


def _span(*ranges: tuple[int, int]) -> frozenset[int]:
    return frozenset(n for first, last in ranges for n in range(first, last + 1))


class Layout:
    """What tells one of Aduanas' files apart and how its rows become flows."""

    def __init__(self, name: str, flow: str, partner: str, value: str, valuation: str,
                 operations: frozenset[int], needed: tuple[str, ...], word: str) -> None:
        self.name, self.flow, self.partner, self.value = name, flow, partner, value
        self.valuation, self.operations, self.needed, self.word = (valuation, operations,
                                                                   needed, word)


LAYOUTS = {
    "aduanas-salidas": Layout(
        "aduanas-salidas", "export", "COD_PAIS_DESTINO", "FOBUS_AJUSTADO_IVV", "FOB",
        _span((200, 207), (210, 213), (216, 216)),
        ("PERIODO", "MES", "COD_TIPO_OPERACION", "COD_PAIS_DESTINO", "ITEM_SA",
         "FOB_US_DUSLEG", "FOBUS_AJUSTADO_IVV"), "Salidas (DUS)"),
    "aduanas-ingresos": Layout(
        "aduanas-ingresos", "import", "COD_PAIS_ORIGEN", "CIF_US", "CIF",
        _span((101, 105), (113, 113), (115, 116), (119, 123), (129, 130), (134, 134),
              (142, 142), (151, 152), (165, 165), (171, 171), (179, 180)),
        ("PERIODO", "MES", "COD_TIPO_OPERACION", "COD_PAIS_ORIGEN", "ITEM_SA", "CIF_US"),
        "Ingresos (DIN)"),
}
REGISTRO_FIELDS = {84: "DUS (exports)", 178: "DIN (imports)"}
_CODE = re.compile(r"^(\d+)(?:[,.]0+)?$")  # '2024' or '2024,00' (ingresos2024.csv)


def _names(header: list[str]) -> list[str]:
    import unicodedata

    out = []
    for cell in header:
        text = unicodedata.normalize("NFKD", cell.strip().strip('"').strip().lstrip("\ufeff"))
        out.append("".join(c for c in text if not unicodedata.combining(c)).upper())
    return out


def layout_of_header(header: list[str]) -> str | None:
    """'aduanas-salidas' or 'aduanas-ingresos' for the header of Aduanas' CSVs, else None."""
    names = set(_names(header))
    for layout in LAYOUTS.values():
        if set(layout.needed) <= names:
            return layout.name
    return None


def refuse_registro(src: SourceFile) -> None:
    """DataError for a header-less file like datos.gob.cl's registro of declarations: `;`,
    84 or 178 fields on every head line, the first line no header."""
    lines = [line for line in src.head_lines[:20] if line.strip()]
    if not lines:
        return
    widths = {len(fields(line, ";")) for line in lines}
    if len(widths) != 1 or next(iter(widths)) not in REGISTRO_FIELDS:
        return
    first = [c.strip().strip('"') for c in fields(lines[0], ";")]
    if sum(bool(re.fullmatch(r"[A-Za-z_ -]+", c)) for c in first) > len(first) // 2:
        return  # a header of names: not the header-less registro
    width = next(iter(widths))
    raise DataError(
        f"{src.name}: line 1: no header and {width} fields split by ';', like the "
        f"{REGISTRO_FIELDS[width]} registro of Aduanas on datos.gob.cl, whose field order "
        f"pa-trade does not know; read the aduana.cl CSV (Salidas or Ingresos, with its "
        f"header) instead")


def read_aduanas(src: SourceFile, layout_name: str):
    """Read one of Aduanas' CSVs -> (canonical flows, LoadReport).

    Every data line is used or set aside with its line number: another kind of operation,
    a country code Aduanas' table lacks, Chile itself, a bad year, month or value.
    """
    import csv
    import io

    import pandas as pd

    from pa_trade import flows, periods

    layout = LAYOUTS[layout_name]
    report = LoadReport(src.name, layout.name, encoding=src.encoding, delimiter="';'",
                        number_style="spanish (decimal comma)")
    report.unit = f"US dollars {layout.valuation} ({layout.value})"
    reader = csv.reader(io.StringIO(src.text, newline=""), delimiter=";")
    header = _names(next(reader, []))
    at = {name: index for index, name in enumerate(header)}
    missing = [c for c in layout.needed if c not in at]
    if missing:
        raise DataError(f"{src.name}: line 1: missing column(s) {', '.join(missing)}")
    width = len(header)
    source = f"Aduanas de Chile, {layout.word} ({short_name(src.name)})"
    records: list[dict] = []
    other_operations: dict[int, int] = {}
    differ, difference = 0, Decimal(0)
    cent = Decimal("0.01")
    line = reader.line_num
    for cells in reader:
        first, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        report.rows_read += 1
        if len(cells) != width:
            report.add(first, "bad-field-count", f"{len(cells)} fields, header has {width}")
            continue

        def cell(name: str, cells=cells) -> str:
            return cells[at[name]].strip()

        year, month = _code(cell("PERIODO")), _code(cell("MES"))
        if year is None or month is None or not periods.FIRST_YEAR <= year <= \
                periods.LAST_YEAR or not 1 <= month <= 12:
            report.add(first, "bad-date", f"PERIODO {cell('PERIODO')!r}, MES {cell('MES')!r}")
            continue
        operation = _code(cell("COD_TIPO_OPERACION"))
        if operation not in layout.operations:
            report.add(first, "other-operation",
                       f"COD_TIPO_OPERACION {cell('COD_TIPO_OPERACION')!r} is no "
                       f"{layout.flow} operation")
            if operation is not None:
                other_operations[operation] = other_operations.get(operation, 0) + 1
            continue
        code = _code(cell(layout.partner))
        partner = None if code is None else countries.aduanas_to_code(code)
        if partner is None:
            report.add(first, "unknown-country", f"{layout.partner} {cell(layout.partner)!r} "
                                                 f"is not in Aduanas' table")
            continue
        if partner == REPORTER:
            report.add(first, "reporter-is-partner", f"{layout.partner} {code} (Chile)")
            continue
        value = numbers.parse_decimal(cell(layout.value), numbers.SPANISH)
        if value is None or not numbers.holds(value):
            what = "missing-value" if numbers.is_missing(cell(layout.value)) else "bad-number"
            report.add(first, what, f"{layout.value} {cell(layout.value)!r}")
            continue
        if layout.flow == "export":
            legalised = numbers.parse_decimal(cell("FOB_US_DUSLEG"), numbers.SPANISH)
            if legalised is not None and legalised != value:
                differ += 1
                difference += value - legalised
        item = cell("ITEM_SA").strip('"')
        records.append({"reporter": REPORTER, "partner": partner, "year": year,
                        "month": month, "flow": layout.flow,
                        "value_usd": float(value.quantize(cent)),
                        "valuation": layout.valuation, "source": source,
                        "hs_code": item or None})
        report.rows_used += 1
    if other_operations:
        shown = ", ".join(f"{op} ({n:,})" for op, n in sorted(other_operations.items())[:6])
        report.notes.append(f"rows of other operations than {layout.flow}s are not flows: "
                            f"COD_TIPO_OPERACION {shown}")
    if differ:
        from pa_trade.numbers import human_number

        report.notes.append(
            f"the export value is FOBUS_AJUSTADO_IVV (FOB adjusted by the informes de "
            f"variación de valor); on {differ:,} row{'s' if differ != 1 else ''} it differs "
            f"from FOB_US_DUSLEG, by US$ {human_number(float(difference), 'usd')} in all")
    report.set_aside.sort(key=lambda r: r.line)
    return flows.aggregate(pd.DataFrame(records) if records else None), report


def _code(text: str) -> int | None:
    """The integer of a code cell: '2026', '2024,00', '202'; None for anything else."""
    found = _CODE.match(text.strip().strip('"'))
    return int(found.group(1)) if found else None
