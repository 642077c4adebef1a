"""UN Comtrade's records as canonical flows (formats.md §6): the API's answers, fetched or
saved as JSON files, and the CSV files Comtrade's web interfaces download.

One conversion for every way in: a row of a file becomes the record the API would have sent
(the API's field names), and `to_flows` applies the same rules to all of them. A record
counts when it is a total over second partners (partner2Code 0), customs procedures
(customsCode C00) and modes of transport (motCode 0), for exports (X) or imports (M);
re-exports and re-imports (RX, RM), domestic exports and foreign imports (DX, FM) are set
aside with their reason, never counted as exports or imports.

Layouts of files:
- comtrade-plus: the ComtradePlus "Download" CSV (comtradeplus.un.org): the API's 47
  camelCase names; ISO-8859-1, CRLF, every value quoted, a trailing comma on each data row.
- comtrade-legacy: the legacy comtrade.un.org CSV ('Trade Flow Code', 'Trade Value (US$)',
  35 columns, or the API's 22, or a subset), flows 1/2/3/4 (Import/Export/Re-Export/
  Re-Import); also its 2021 variant with the new codes (flow letters in 'Trade Flow',
  'Trade Flow Code' 0, W00, C00).
- comtrade-json: an API answer saved as a file ({"count", "data": [...], "error"}).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from pa_trade import numbers
from pa_trade.errors import DataError
from pa_trade.readers.common import short_name
from pa_trade.readers.report import LoadReport
from pa_trade.reference import countries

if TYPE_CHECKING:
    import pandas as pd

    from pa_trade.textio import SourceFile

LAYOUTS = {
    "comtrade-plus": "UN Comtrade ComtradePlus download CSV",
    "comtrade-legacy": "UN Comtrade legacy comtrade.un.org CSV",
    "comtrade-json": "UN Comtrade API answer saved as JSON",
}
SOURCES = {
    "comtrade-plus": "UN Comtrade (ComtradePlus download, {file})",
    "comtrade-legacy": "UN Comtrade (comtrade.un.org download, {file})",
    "comtrade-json": "UN Comtrade (API answer, {file})",
}

# What keeps a record a total: every product, no second partner, all customs procedures,
# all modes of transport (formats.md §6).
TOTAL_FILTER = {"cmdCode": "TOTAL", "partner2Code": 0, "customsCode": "C00", "motCode": 0}
# flows that are parts of exports or imports, or flows of their own: never counted as them
OTHER_FLOWS = {
    "RX": ("re-export", ""),
    "RM": ("re-import", ""),
    "DX": ("part-of-flow", " (domestic exports, a part of exports X)"),
    "FM": ("part-of-flow", " (foreign imports, a part of imports M)"),
}
# ASCII digits only, as every reader takes them; no '1_000', 'inf' or 'nan' (float() would)
CENT = Decimal("0.01")
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

# the CSV layouts, told apart by their header
PLUS_NEEDS = {"reporterCode", "partnerCode", "flowCode", "primaryValue"}
LEGACY_NEEDS = {"Reporter Code", "Partner Code", "Trade Value (US$)"}
# legacy names -> the API's
LEGACY_NAMES = {
    "Classification": "classificationCode",
    "Year": "refYear",
    "Period": "period",
    "Reporter Code": "reporterCode",
    "Reporter": "reporterDesc",
    "Reporter ISO": "reporterISO",
    "Partner Code": "partnerCode",
    "Partner": "partnerDesc",
    "Partner ISO": "partnerISO",
    "2nd Partner Code": "partner2Code",
    "Customs Proc. Code": "customsCode",
    "Mode of Transport Code": "motCode",
    "Commodity Code": "cmdCode",
    "Trade Value (US$)": "primaryValue",
    "CIF Trade Value (US$)": "cifvalue",
    "FOB Trade Value (US$)": "fobvalue",
}
LEGACY_FLOWS = {"1": "M", "2": "X", "3": "RX", "4": "RM"}
LEGACY_FLOW_NAMES = {"import": "M", "export": "X", "re-export": "RX", "re-import": "RM"}
# The legacy site had no breakdown by these: an empty cell (or no column) is the total
LEGACY_TOTALS = {"partner2Code": "0", "customsCode": "C00", "motCode": "0"}

# Fields that tell a saved Comtrade answer (records, or the API's refusal)
_JSON_MARKS = ("primaryValue", "reporterCode", "elapsedTime", "statusCode")
# What the legacy site saved in place of data when it refused a query
_SAVED_ERROR = re.compile(
    r"^(query complexity:|resultset count:|no data matching your query|usage limit|"
    r"invalid query|.*your query is too complex)", re.IGNORECASE)


# -- records -> flows ----------------------------------------------------------------------


def to_flows(records: Iterable[tuple[int, str, dict]], report: LoadReport,
             level: str = "total", current_code: Callable[[str], int | None] | None = None,
             place: str = "record") -> pd.DataFrame:
    """Canonical flows from Comtrade records given as (number, source, record); every record
    is counted in `report`: converted (rows_used) or set aside with its reason, at its
    `number` (a record's index, or a file's physical line: `place` says which).

    Exports (X) are FOB `primaryValue`. Imports (M) are CIF `primaryValue`, plus a FOB flow
    from `fobvalue` when the record has it; when the reporter records imports FOB only
    (no `cifvalue`, `primaryValue` equal to `fobvalue`), one FOB flow. Partner 0 is WLD;
    group areas map to their aggregate codes (97 -> XEU). `level="chapter"`: the records
    are HS chapters (cmdCode '01'..'99'), kept with hs_code = the 2-digit chapter, as text.
    `level="file"`: TOTAL records and HS product records alike (a downloaded file), each
    product with its code as hs_code; a product inside a coarser record of the same flow
    (the TOTAL, or a shorter code it starts with) is set aside as `nested-code`: it is
    counted there. `current_code(iso3)`: the Comtrade code a country's data are filed under
    now, which wins over its older codes (None: the first record met wins).
    """
    import pandas as pd

    from pa_trade import flows as flow_table

    rows: list[dict] = []
    seen: dict[tuple, dict[int | None, int]] = {}  # cell -> {Comtrade partner code: record}
    for number, source, record in records:
        report.rows_read += 1
        converted = _convert(record, number, source, report, level)
        if converted is None:
            continue
        for row in converted:
            row["_record"] = number
        cell = _cell(converted[0])
        partner_code = integer(record.get("partnerCode"))
        if cell in seen:
            _second_record(cell, partner_code, seen[cell], number, rows, converted, report,
                           current_code, place)
            continue
        seen[cell] = {partner_code: number}
        rows.extend(converted)
        report.rows_used += 1
    if level == "file":
        rows = _without_nested(rows, report, place)
    for row in rows:
        del row["_record"]
    frame = pd.DataFrame(rows) if rows else None
    # several "areas nes" codes of one cell add up to XNS
    return flow_table.aggregate(frame)


def _cell(row: dict) -> tuple:
    """What one record speaks for: reporter, partner, year, month, flow and product."""
    return (row["reporter"], row["partner"], row["year"], row.get("month"), row["flow"],
            row.get("hs_code"))


def _convert(record: dict, number: int, source: str, report: LoadReport,
             level: str = "total") -> list[dict] | None:
    """The flows of one record, or None after setting it aside in the report."""
    if not record:
        report.add(number, "bad-field", "an empty record")
        return None
    kind = _text(record.get("typeCode")).strip().upper()
    if kind and kind != "C":
        report.add(number, "bad-field", f"typeCode {record.get('typeCode')!r}: services (S), "
                                        f"not goods (C)")
        return None
    hs_code = None
    if level == "chapter":
        # a chapter is two digits as text: "09", never 9 (a number in the JSON is padded)
        command = str(record.get("cmdCode", "")).strip()
        command = command.zfill(2) if command.isdigit() and len(command) == 1 else command
        if not (len(command) == 2 and command.isdigit()):
            report.add(number, "not-a-chapter",
                       f"cmdCode {record.get('cmdCode')!r}, not a 2-digit HS chapter")
            return None
        hs_code = command
    elif level == "file":
        command = _text(record.get("cmdCode")).strip()
        if command.upper() != "TOTAL":
            if not _is_hs(record.get("classificationCode")):
                report.add(number, "not-hs",
                           f"cmdCode {command!r} of classification "
                           f"{_text(record.get('classificationCode')).strip()!r}")
                return None
            if not (command.isascii() and command.isdigit() and len(command) in (2, 4, 6)):
                # an odd count of digits ('901') lost its leading zero: no code to guess
                report.add(number, "bad-field", f"cmdCode {record.get('cmdCode')!r}, neither "
                                                f"TOTAL nor an HS code of 2, 4 or 6 digits")
                return None
            hs_code = command
    for column, wanted in TOTAL_FILTER.items():
        if column == "cmdCode" and level in ("chapter", "file"):
            continue
        value = record.get(column)
        same = (integer(value) == wanted if isinstance(wanted, int)
                else str(value).strip().upper() == wanted)
        if not same:
            report.add(number, "not-a-total", f"{column} {value!r}, not {wanted!r}")
            return None
    reporter = countries.comtrade_to_iso3(_text(record.get("reporterCode")))
    if reporter is None:
        report.add(number, "unknown-country", _area_detail(record, "reporter"))
        return None
    partner = countries.comtrade_to_iso3(_text(record.get("partnerCode")))
    if partner is None:
        report.add(number, "unknown-country", _area_detail(record, "partner"))
        return None
    year = integer(record.get("refYear"))
    if year is None:
        year = integer(str(record.get("period", ""))[:4])
    if year is None:
        report.add(number, "bad-field", f"refYear {record.get('refYear')!r}")
        return None
    if not 1900 <= year <= 2099:
        report.add(number, "bad-date", f"refYear {record.get('refYear')!r}")
        return None
    month = _month(record)
    if month == 0:
        report.add(number, "bad-date", f"period {record.get('period')!r}, refMonth "
                                       f"{record.get('refMonth')!r}: no month 1-12")
        return None
    flow_code = str(record.get("flowCode", "")).strip().upper()
    if flow_code in OTHER_FLOWS:
        reason, what = OTHER_FLOWS[flow_code]
        report.add(number, reason, f"flowCode {flow_code}{what}")
        return None
    if flow_code not in ("X", "M"):
        report.add(number, "bad-field", f"flowCode {record.get('flowCode')!r} (expected X or M)")
        return None
    values = {}
    for column in ("primaryValue", "fobvalue", "cifvalue"):
        raw = record.get(column)
        values[column] = _money(raw)
        if values[column] is None and not _blank(raw):
            report.add(number, "bad-number", f"{column} {raw!r}")
            return None
    primary = values["primaryValue"]
    if primary is None:
        report.add(number, "missing-value", "primaryValue empty")
        return None
    base = {"reporter": reporter, "partner": partner, "year": year, "source": source,
            "hs_code": hs_code}
    if month is not None:
        base["month"] = month
    if flow_code == "X":
        return [{**base, "flow": "export", "value_usd": primary, "valuation": "FOB"}]
    fob, cif = values["fobvalue"], values["cifvalue"]
    if cif is None and fob is not None and fob == primary:
        return [{**base, "flow": "import", "value_usd": primary, "valuation": "FOB"}]
    out = [{**base, "flow": "import", "value_usd": primary, "valuation": "CIF"}]
    if fob is not None:
        out.append({**base, "flow": "import", "value_usd": fob, "valuation": "FOB"})
    return out


def _month(record: dict) -> int | None:
    """The month of a monthly record (period YYYYMM, or freqCode M with refMonth); None for
    an annual one (refMonth 52, period YYYY); 0 for a monthly record without a month 1-12."""
    period = _text(record.get("period")).strip()
    if len(period) == 6 and period.isascii() and period.isdigit():
        month = int(period[4:])
    elif _text(record.get("freqCode")).strip().upper() == "M":
        month = integer(record.get("refMonth")) or 0
    else:
        return None
    return month if 1 <= month <= 12 else 0


def _is_hs(classification) -> bool:
    """Whether a classification code is the Harmonized System: H0-H6, HS (or none given)."""
    text = _text(classification).strip().upper()
    return not text or text == "HS" or (len(text) == 2 and text[0] == "H" and text[1].isdigit())


def _second_record(cell, partner_code, codes, number, rows, converted, report,
                   current_code=None, place="record") -> None:
    """Another record for a reporter, partner, period, flow and product already converted.

    The same Comtrade area again is a repeat. Two codes of one country (250 and 251 for
    France) are nested areas: adding them would count trade twice, so the current code wins
    (`current_code`; without it, the first met). Unspecified areas ("..., nes" -> XNS) are
    distinct and add up.
    """
    partner = cell[1]
    if partner_code in codes:
        report.add(number, "duplicate-record", f"same as {place} {codes[partner_code]}")
        return
    if countries.kind(partner) == "other":
        codes[partner_code] = number
        rows.extend(converted)
        report.rows_used += 1
        return
    (kept_code, kept_number), = codes.items()
    if current_code is not None and partner_code == current_code(partner):
        # the newcomer has the current code: it takes the place of the earlier record
        rows[:] = [r for r in rows if _cell(r) != cell] + converted
        codes.clear()
        codes[partner_code] = number
        report.add(kept_number, "duplicate-area",
                   f"Comtrade {kept_code} and {partner_code} are both {partner}; "
                   f"kept {partner_code}")
        return
    report.add(number, "duplicate-area",
               f"Comtrade {kept_code} and {partner_code} are both {partner}; kept {kept_code}")


def _without_nested(rows: list[dict], report: LoadReport, place: str) -> list[dict]:
    """The rows less those of product records inside a coarser record of the same reporter,
    partner, period and flow (the TOTAL, or a shorter HS code the product's starts with):
    counting both would count that trade twice. Each such record is set aside once."""
    first: dict[tuple, dict[str | None, int]] = {}  # flow -> {hs_code or None: record}
    for row in rows:
        first.setdefault(_cell(row)[:-1], {}).setdefault(row.get("hs_code"), row["_record"])
    nested: dict[int, str] = {}
    for row in rows:
        number, code = row["_record"], row.get("hs_code")
        products = first[_cell(row)[:-1]]
        if code is None or number in nested or len(products) == 1:
            continue
        if None in products:
            coarser = f"the TOTAL of {place} {products[None]}"
        else:
            inside = [c for c in products if c is not None and c != code and code.startswith(c)]
            if not inside:
                continue
            outer = min(inside, key=len)
            coarser = f"HS {outer} of {place} {products[outer]}"
        nested[number] = f"HS {code} is inside {coarser}, counted there"
    if not nested:
        return rows
    for number, detail in nested.items():
        report.add(number, "nested-code", detail)
        report.rows_used -= 1
    report.set_aside.sort(key=lambda r: r.line)
    return [row for row in rows if row["_record"] not in nested]


def _area_detail(record: dict, side: str) -> str:
    code = _text(record.get(f"{side}Code")).strip()
    label = _text(record.get(f"{side}Desc") or record.get(f"{side}ISO")).strip()
    return f"Comtrade {side} code {code}" + (f" {label!r}" if label else "")


def _text(value) -> str:
    return "" if value is None else str(value)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def integer(value) -> int | None:
    """A code or year as a whole number: 842, "842", " 842 ", 842.0; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal):  # a saved answer's 0.0, read exactly
        return int(value) if value.is_finite() and value == value.to_integral_value() else None
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _money(value) -> float | None:
    """Dollars to the cent (a tenth of a cent, as ComtradePlus writes some, rounded half up)
    from a JSON number or a plain decimal text; None for no figure, text that is no plain
    number, NaN or infinity, and amounts too large to hold to the cent."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        exact = value
    elif isinstance(value, float):
        exact = Decimal(repr(value))  # the shortest text of the float: what the JSON said
    elif isinstance(value, int):
        exact = Decimal(value)
    else:
        text = str(value).strip()
        if not _PLAIN_NUMBER.fullmatch(text):
            return None
        exact = Decimal(text)
    if not exact.is_finite() or not numbers.holds(float(exact)):
        return None
    return float(exact.quantize(CENT, rounding=ROUND_HALF_UP))


# -- files ---------------------------------------------------------------------------------


def layout_of_header(cells: list[str]) -> str | None:
    """'comtrade-plus' or 'comtrade-legacy' for the header of a Comtrade CSV, else None."""
    names = {c.strip().strip('"').strip() for c in cells}
    if PLUS_NEEDS <= names:
        return "comtrade-plus"
    if LEGACY_NEEDS <= names:
        return "comtrade-legacy"
    return None


def looks_like_json(src: SourceFile) -> bool:
    """Whether a file is a saved Comtrade API answer: JSON (an object first) naming fields
    only Comtrade's answers and refusals have. Other JSON is left to other layouts."""
    lines = src.head_lines
    first = next((line for line in lines if line.strip()), "")
    if not first.lstrip().startswith("{"):
        return False
    head = "".join(lines[:200])
    return any(f'"{name}"' in head for name in _JSON_MARKS)


def saved_error(src: SourceFile) -> str | None:
    """The message the legacy comtrade.un.org saved in place of data ('Query complexity:
    your query is too complex...'), on one line; None when the file is no such message."""
    lines = [line.strip() for line in src.head_lines[:20] if line.strip()]
    if not lines or not any(_SAVED_ERROR.match(line) for line in lines[:3]):
        return None
    text = " ".join(lines)
    return text if len(text) <= 300 else text[:297] + "..."


def refuse_saved_error(src: SourceFile) -> None:
    """DataError with the legacy site's own words when a file is its error text."""
    said = saved_error(src)
    if said is not None:
        raise DataError(f"{src.name}: UN Comtrade saved an error message instead of data: "
                        f"{said}")


def read_csv(src: SourceFile, layout: str):
    """Read a ComtradePlus or legacy Comtrade CSV -> (canonical flows, LoadReport).

    Rows read are the non-blank lines after the header; each is converted as an API record
    (`to_flows`, level "file") and set aside, where it is, by its physical line. Trailing
    empty fields (ComtradePlus ends every data row with a comma) are dropped.
    """
    import csv
    import io

    refuse_saved_error(src)
    report = LoadReport(src.name, layout, encoding=src.encoding, delimiter="','",
                        number_style="plain")
    text = src.text
    reader = csv.reader(io.StringIO(text, newline=""))
    header, header_line = None, 0
    for cells in reader:
        if any(c.strip() for c in cells):
            header, header_line = [c.strip() for c in cells], reader.line_num
            break
    found = layout_of_header(header or [])
    if found != layout:
        needs = PLUS_NEEDS if layout == "comtrade-plus" else LEGACY_NEEDS
        missing = sorted(needs - set(header or []))
        raise DataError(f"{src.name}: line {header_line or 1}: not a {LAYOUTS[layout]}: "
                        f"missing column(s) {', '.join(missing)}")
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise DataError(f"{src.name}: line {header_line}: column {', '.join(repeated)} "
                        f"appears more than once in the header")
    source = SOURCES[layout].format(file=short_name(src.name))
    to_record = _plus_record if layout == "comtrade-plus" else _legacy_record
    width = len(header)

    def records():
        start = header_line + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue  # a blank line is no row
            if len(cells) != width:
                if len(cells) < width or any(c.strip() for c in cells[width:]):
                    report.rows_read += 1
                    report.add(line, "bad-field-count",
                               f"{len(cells)} fields, header has {width}")
                    continue
                cells = cells[:width]
            yield line, source, to_record(dict(zip(header, cells, strict=True)))

    try:
        frame = to_flows(records(), report, level="file", place="line")
    except csv.Error as exc:
        raise DataError(f"{src.name}: line {reader.line_num}: not a CSV that can be read "
                        f"({exc})") from None
    if report.rows_read == 0:
        raise DataError(f"{src.name}: a {LAYOUTS[layout]} with a header and no data rows")
    report.set_aside.sort(key=lambda r: r.line)
    _note_products(frame, report)
    return frame, report


def _plus_record(row: dict) -> dict:
    """A ComtradePlus row is an API record already: the same names, values as text."""
    return row


def _legacy_record(row: dict) -> dict:
    """The API record a legacy row stands for: its names mapped, its flow code made the
    API's (1 -> M, 2 -> X, 3 -> RX, 4 -> RM; the 2021 variant's letters in 'Trade Flow'),
    empty second partner, customs and transport cells read as the totals they were."""
    record = {api: row[name] for name, api in LEGACY_NAMES.items() if name in row}
    for column, total in LEGACY_TOTALS.items():
        if not record.get(column, "").strip():
            record[column] = total
    code = row.get("Trade Flow Code", "").strip()
    named = row.get("Trade Flow", "").strip()
    if code in LEGACY_FLOWS:
        record["flowCode"] = LEGACY_FLOWS[code]
    elif named.lower() in LEGACY_FLOW_NAMES:
        record["flowCode"] = LEGACY_FLOW_NAMES[named.lower()]
    else:
        record["flowCode"] = named or code  # the 2021 variant: X, M, RX, DX, FM
    return record


def _note_products(frame, report: LoadReport) -> None:
    """A note when products were kept with their codes: which levels (digits)."""
    if frame.empty or frame["hs_code"].isna().all():
        return
    digits = sorted({len(c) for c in frame["hs_code"].dropna().unique()})
    report.notes.append(f"product rows kept with their HS codes ({'/'.join(map(str, digits))} "
                        f"digits) as hs_code")


def read_json(src: SourceFile):
    """Read a saved UN Comtrade API answer -> (canonical flows, LoadReport).

    Records are numbered from 1 ("record N" in the report). An answer whose `error` says
    why there are no data, or an API refusal ({"statusCode", "message"}), is refused with
    its own words; so is JSON that is no Comtrade answer.
    """
    import json

    try:
        document = json.loads(src.text, parse_float=Decimal)  # figures as written
    except ValueError as exc:
        raise DataError(f"{src.name}: not JSON that can be read ({exc})") from None
    if not isinstance(document, dict):
        raise DataError(f"{src.name}: a JSON {type(document).__name__}, not a UN Comtrade "
                        f"API answer (an object with a 'data' list of records)")
    error = document.get("error")
    if error:
        raise DataError(f"{src.name}: UN Comtrade answered with an error instead of data: "
                        f"{_one_line(error)}")
    data = document.get("data")
    if data is None:
        said = document.get("message") or document.get("Message")
        if said:
            status = document.get("statusCode")
            code = f" (HTTP {status})" if status else ""
            raise DataError(f"{src.name}: UN Comtrade refused the request{code}: "
                            f"{_one_line(said)}")
        raise DataError(f"{src.name}: not a UN Comtrade API answer (no 'data' list of "
                        f"records)")
    if not isinstance(data, list):
        raise DataError(f"{src.name}: 'data' is a JSON {type(data).__name__}, not a list of "
                        f"records")
    if not data:
        raise DataError(f"{src.name}: the UN Comtrade answer holds no records")
    report = LoadReport(src.name, "comtrade-json", encoding=src.encoding, number_style="plain",
                        position="record")
    source = SOURCES["comtrade-json"].format(file=short_name(src.name))

    def records():
        for number, record in enumerate(data, start=1):
            if not isinstance(record, dict):
                report.rows_read += 1
                report.add(number, "bad-field", f"a JSON {type(record).__name__}, not a record")
                continue
            yield number, source, record

    frame = to_flows(records(), report, level="file")
    report.set_aside.sort(key=lambda r: r.line)
    count = document.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count > len(data):
        report.notes.append(f"the answer says UN Comtrade holds {count:,} records but it has "
                            f"{len(data):,}: it was cut; the others are not in this file")
    _note_products(frame, report)
    return frame, report


def _one_line(text) -> str:
    said = " ".join(str(text).split())
    return said if len(said) <= 300 else said[:297] + "..."
