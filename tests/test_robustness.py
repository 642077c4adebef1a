"""Damaged input never ends in a traceback: every reader either reads or says why, in one line."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pa_trade import readers
from pa_trade.errors import PaTradeError
from pa_trade.textio import SourceFile
from tests.conftest import FIXTURES

FILES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".csv", ".txt"))


def read_or_refuse(data: bytes) -> None:
    try:
        frame, report = readers.read_file(SourceFile("damaged.csv", data))
    except PaTradeError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("damaged.csv")
        return
    assert report.balanced
    assert frame["value_usd"].notna().all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), cut=st.floats(0, 1), position=st.floats(0, 1),
       junk=st.binary(min_size=1, max_size=8))
def test_damaged_fixtures_are_read_or_refused(name, cut, position, junk):
    data = (FIXTURES / name).read_bytes()
    data = data[: max(1, int(len(data) * cut))]  # a download cut short
    at = int(len(data) * position)
    read_or_refuse(data[:at] + junk + data[at:])  # bytes that do not belong


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(
    ["FECH", "PAIS", "FOBDOL", "2203", "493", "1.234,5", "País", "2022p", "Total", "México",
     "-", "..", "Exportaciones", "Millones de dólares FOB", "", "abc", "reporter", "partner",
     "year", "flow", "value_usd", "1,234.5", "\"", "PAISGEN", "VACID", "Importaciones"]),
    min_size=1, max_size=6), min_size=1, max_size=12),
    st.sampled_from([";", ",", "\t"]))
def test_made_up_tables_are_read_or_refused(rows, delimiter):
    text = "\n".join(delimiter.join(cells) for cells in rows) + "\n"
    read_or_refuse(text.encode("utf-8"))


@pytest.mark.parametrize("data", [b"\xff\xfe\x00", b"\x00" * 10, b";;;\n;;;\n", b"\n\n\n",
                                  b"FECH;PAIS;FOBDOL\n", b"reporter,partner,year,flow\n"])
def test_edge_cases_are_refused_in_one_line(data):
    read_or_refuse(data)
