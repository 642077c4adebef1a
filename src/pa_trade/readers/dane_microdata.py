"""DANE customs microdata: exports (EXPO, formats.md §1) and imports (IMPO, §2).

One row per declaration line; partner codes are DIAN's; exports are FOBDOL (FOB); imports
are VACID (CIF) and VAFODO (FOB), both emitted; the import partner is PAISGEN (origin).
"""

from __future__ import annotations

import io

from pa_trade import countries, numbers
from pa_trade.errors import DataError
from pa_trade.readers.common import choose_style, fields, short_name
from pa_trade.readers.report import LoadReport
from pa_trade.textio import SourceFile, delimiter_name, sniff_delimiter

EXPO_COLUMNS = {"date": "FECH", "partner": "PAIS", "hs_code": "POSAR"}
EXPO_VALUES = {"FOB": "FOBDOL"}
IMPO_COLUMNS = {"date": "FECH", "partner": "PAISGEN", "hs_code": "NABAN"}
IMPO_VALUES = {"CIF": "VACID", "FOB": "VAFODO"}
STYLE_SAMPLE = 50_000


def header_columns(header: list[str]) -> list[str]:
    return [h.strip().strip('"').upper() for h in header]


def read_expo(src: SourceFile, number_style: str | None = None):
    """Read a DANE EXPO file -> (canonical flows, LoadReport)."""
    return _read(src, "dane-expo", "export", EXPO_COLUMNS, EXPO_VALUES, number_style)


def read_impo(src: SourceFile, number_style: str | None = None):
    """Read a DANE IMPO file -> (canonical flows, LoadReport)."""
    return _read(src, "dane-impo", "import", IMPO_COLUMNS, IMPO_VALUES, number_style)


def _read(src, layout, flow, key_columns, value_columns, number_style):
    import numpy as np
    import pandas as pd

    from pa_trade import flows

    report = LoadReport(src.name, layout, encoding=src.encoding)
    lines = src.lines
    header_index = next(i for i, line in enumerate(lines) if line.strip())
    delimiter = sniff_delimiter(lines[header_index : header_index + 50])
    report.delimiter = delimiter_name(delimiter)
    header = header_columns(fields(lines[header_index], delimiter))
    wanted = {**key_columns, **{v: c for v, c in value_columns.items()}}
    required = [c for k, c in wanted.items() if k != "hs_code"]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"{src.name}: line {header_index + 1}: missing column(s) {', '.join(missing)} "
            f"for {layout} (found: {', '.join(header[:20])})"
        )
    width = len(header)

    # Keep only well-formed lines, remembering each one's physical line number.
    kept, line_numbers = [lines[header_index]], []
    for index in range(header_index + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        report.rows_read += 1
        count = line.count(delimiter) + 1 if '"' not in line else len(fields(line, delimiter))
        if count != width:
            extra_empty = count > width and not any(
                f.strip() for f in fields(line, delimiter)[width:]
            )
            if not extra_empty:
                report.add(index + 1, "bad-field-count", f"{count} fields, header has {width}")
                continue
        kept.append(line)
        line_numbers.append(index + 1)

    positions = {name: header.index(name) for name in wanted.values() if name in header}
    table = pd.read_csv(
        io.StringIO("\n".join(kept)),
        sep=delimiter,
        header=0,
        names=[f"c{i}" for i in range(width)],
        usecols=[f"c{i}" for i in positions.values()],
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        engine="c",
    )
    table.columns = [name for name, _ in sorted(positions.items(), key=lambda kv: kv[1])]
    line_no = np.asarray(line_numbers, dtype=np.int64)
    table = table.apply(lambda column: column.str.strip())

    # dates: YYMM or YYYYMM
    date = table[key_columns["date"]]
    short = date.str.fullmatch(r"\d{4}")
    long = date.str.fullmatch(r"\d{6}")
    year = pd.Series(np.nan, index=table.index)
    month = pd.Series(np.nan, index=table.index)
    year[short] = 2000 + date[short].str[:2].astype(int)
    month[short] = date[short].str[2:].astype(int)
    year[long] = date[long].str[:4].astype(int)
    month[long] = date[long].str[4:].astype(int)
    bad_date = year.isna() | ~month.between(1, 12)

    # partners: DIAN codes, each distinct value mapped once
    partner_codes = table[key_columns["partner"]]
    mapping = countries.dian_to_iso3(partner_codes.unique().tolist())
    partner = partner_codes.map(mapping)
    unknown = partner.isna()

    style = choose_style(
        report,
        _sample(table, value_columns.values(), line_no),
        number_style,
        numbers.SPANISH,
        "DANE",
    )
    values = {}
    empty_value = pd.Series(False, index=table.index)
    bad_value = pd.Series(False, index=table.index)
    for valuation, column in value_columns.items():
        text = table[column]
        values[valuation] = numbers.parse_series(text, style)
        empty_value |= text.eq("")
        bad_value |= values[valuation].isna() & text.ne("")

    # one reason per row, the first that applies
    problems = [
        (bad_date, "bad-date", key_columns["date"], date),
        (unknown & ~bad_date, "unknown-country", key_columns["partner"], partner_codes),
    ]
    set_aside = bad_date | unknown
    for mask, reason in ((empty_value, "missing-value"), (bad_value, "bad-number")):
        problems.append((mask & ~set_aside, reason, None, None))
        set_aside |= mask
    for mask, reason, column, shown in problems:
        for row in np.flatnonzero(mask.to_numpy()):
            if column:
                detail = f"{column} {shown.iloc[row]!r}"
            else:
                detail = ", ".join(
                    f"{c} {table[c].iloc[row]!r}" for c in value_columns.values()
                )
            report.add(int(line_no[row]), reason, detail)
    report.set_aside.sort(key=lambda r: r.line)

    good = ~set_aside
    report.rows_used = int(good.sum())
    hs_column = key_columns["hs_code"]
    hs_code = table[hs_column].where(table[hs_column].ne("")).str.zfill(10) if (
        hs_column in table
    ) else None
    source = f"DANE {'export' if flow == 'export' else 'import'} microdata ({short_name(src.name)})"
    frames = []
    for valuation, parsed in values.items():
        frames.append(
            pd.DataFrame(
                {
                    "reporter": "COL",
                    "partner": partner[good],
                    "year": year[good].astype("int64"),
                    "month": month[good].astype("int64"),
                    "flow": flow,
                    "value_usd": parsed[good],
                    "valuation": valuation,
                    "source": source,
                    "hs_code": hs_code[good] if hs_code is not None else None,
                }
            )
        )
    return flows.aggregate(pd.concat(frames, ignore_index=True)), report


def _sample(table, columns, line_no):
    """(line, text) pairs from the value columns, enough to decide the number style."""
    head = table.head(STYLE_SAMPLE)
    for column in columns:
        yield from zip(line_no[: len(head)].tolist(), head[column].tolist(), strict=True)
