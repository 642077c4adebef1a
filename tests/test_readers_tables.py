"""Tables by country (DANE cuadros, Mexico's SE balanza): whose table it is, the reporter
among its own partners, a country or a year given twice."""

from decimal import Decimal

import pytest

from pa_trade import readers
from pa_trade.errors import DataError
from pa_trade.textio import read_source
from tests.test_readers import sums

DANE_TITLE = "Colombia. Exportaciones según país de destino"
DANE_NOTES = ["Fuente: DANE - DIAN. Cálculos DANE.", "p: cifras provisionales"]
MEXICO_TITLE = "Balanza comercial de México con los países del mundo"
MEXICO_NOTES = ["Fuente: Secretaría de Economía con datos de SAT, SE, BANXICO, INEGI.",
                "p/ Cifras preliminares"]


def dane_table(tmp_path, rows, title=DANE_TITLE, notes=DANE_NOTES,
               header="País de destino;2021;2022p", name="cuadro.csv"):
    """A DANE cuadro as DANE saves it: Latin-1, ';', CRLF, Spanish numbers."""
    lines = [title, "Millones de dólares FOB", "", header, *rows, "", *notes]
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def mexico_table(tmp_path, rows, title=MEXICO_TITLE, notes=MEXICO_NOTES,
                 years=",2021,,,,2022,,,", name="balanza.csv"):
    """The SE balanza by country: UTF-8 with BOM, ',', a two-row header, English numbers."""
    flows = "Exportaciones,Importaciones,Comercio total,Saldo"
    lines = [title, "Valores en miles de dólares", years, f"País,{flows},{flows}", *rows,
             *notes]
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    return path


def mexico_row(name, x21, m21, x22, m22):
    cells = [x21, m21, x21 + m21, x21 - m21, x22, m22, x22 + m22, x22 - m22]
    return name + "," + ",".join(f'"{c:,.1f}"' for c in cells)


def read(path, layout=None, reporter=None):
    return readers.read_file(read_source(str(path)), layout, reporter=reporter)


def one_line_error(call) -> str:
    with pytest.raises(DataError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- whose table it is ---------------------------------------------------------------------

UNTITLED_ROWS = ["Estados Unidos;11.081,5;14.758,2", "México;1.411,3;1.530,8",
                 "Perú;1.020,6;1.105,2", "Total;41.389,6;57.115,2"]


def test_a_table_whose_title_and_notes_do_not_say_whose_is_not_credited_to_anyone(tmp_path):
    path = dane_table(tmp_path, UNTITLED_ROWS, title="Exportaciones según país de destino",
                      notes=["p: cifras provisionales"])
    message = one_line_error(lambda: readers.detect_layout(read_source(str(path))))
    assert message.startswith(str(path)) and "do not say whose" in message
    assert "--layout dane-cuadro" in message and "--layout mexico-se" in message
    one_line_error(lambda: readers.load([str(path)]))
    # a layout says how to read it, not whose it is (issue 14): that must be said
    message = one_line_error(lambda: read(path, "dane-cuadro"))
    assert "do not say whose trade" in message and "--file-reporter" in message
    frame, report = read(path, "dane-cuadro", reporter="COL")
    assert set(frame["reporter"]) == {"COL"} and "MEX" in set(frame["partner"])
    assert report.balanced and report.set_aside == []


def test_a_forced_layout_never_credits_another_members_table_to_its_office(tmp_path):
    """The defect issue 14 found: a Peruvian table forced as a DANE cuadro came out as
    Colombia's exports. Without --file-reporter it is refused; with it, it is Peru's."""
    path = dane_table(tmp_path, ["México;800;846,4", "Chile;1.500;1.600"],
                      title="Perú. Exportaciones por país de destino (SUNAT)", notes=[])
    for layout in ("dane-cuadro", "mexico-se"):
        message = one_line_error(lambda layout=layout: read(path, layout))
        assert "--file-reporter" in message
    frame, _ = read(path, "dane-cuadro", reporter="PER")
    assert set(frame["reporter"]) == {"PER"} and set(frame["partner"]) == {"MEX", "CHL"}
    assert set(frame["source"]) == {"Peru's table (cuadro.csv)"}
    titled = dane_table(tmp_path, ["México;1;2"], title="Colombia. Exportaciones", notes=[])
    message = one_line_error(lambda: read(titled, "dane-cuadro", reporter="PER"))
    assert "not Peru's" in message


def test_partners_named_in_the_rows_do_not_decide_whose_table_it_is(tmp_path):
    # the title names Colombia once; the rows name Mexico twice
    path = dane_table(tmp_path, ["México;1.411,3;1.530,8", "Perú;1.020,6;1.105,2",
                                 "México;1.411,3;1.530,8"], notes=[])
    assert readers.detect_layout(read_source(str(path))) == "dane-cuadro"
    frame, report = read(path)
    assert set(frame["reporter"]) == {"COL"}
    assert [(r.line, r.reason) for r in report.set_aside] == [(7, "duplicate-row")]


def test_the_notes_under_the_rows_say_whose_table_it_is(tmp_path):
    path = dane_table(tmp_path, UNTITLED_ROWS, title="Exportaciones según país de destino")
    assert readers.detect_layout(read_source(str(path))) == "dane-cuadro"


def test_forcing_mexico_se_on_a_dane_table_says_the_layout_does_not_fit(tmp_path):
    path = dane_table(tmp_path, UNTITLED_ROWS)
    message = one_line_error(lambda: read(path, "mexico-se"))
    assert "mexico-se does not fit" in message and "--layout dane-cuadro" in message


def test_forcing_dane_cuadro_on_a_mexican_table_says_the_layout_does_not_fit(tmp_path):
    path = mexico_table(tmp_path, [mexico_row("Colombia", 3900, 1600, 4010, 1700),
                                   mexico_row("Chile", 1500, 1900, 1600, 2000)])
    message = one_line_error(lambda: read(path, "dane-cuadro"))
    assert "dane-cuadro does not fit" in message and "--layout mexico-se" in message


def test_a_table_of_the_reporter_only_does_not_fit_the_layout_forced(tmp_path):
    path = dane_table(tmp_path, ["México;1.411,3;1.530,8"],
                      title="Exportaciones según país de destino", notes=[])
    message = one_line_error(lambda: read(path, "mexico-se", reporter="MEX"))
    assert "does not fit" in message and "every row names Mexico" in message


def test_an_untitled_table_forced_sets_the_reporter_aside_and_says_why(tmp_path):
    path = dane_table(tmp_path, UNTITLED_ROWS, title="Exportaciones según país de destino",
                      notes=[])
    frame, report = read(path, "mexico-se", reporter="MEX")
    assert not (frame["partner"] == frame["reporter"]).any()
    assert [(r.line, r.reason) for r in report.set_aside] == [(6, "reporter-is-partner")]
    assert report.balanced and report.rows_used == 3


# --- the reporter among the partners ------------------------------------------------------

def test_a_dane_row_naming_colombia_itself_is_set_aside(tmp_path):
    path = dane_table(tmp_path, ["Estados Unidos;12.030,1;13.400,6",
                                 "Colombia;310,2;295,7",  # goods of Colombian origin re-imported
                                 "México;2.610,5;2.899,0"],
                      title="Colombia. Importaciones según país de origen")
    frame, report = read(path)
    assert "COL" not in set(frame["partner"])
    assert [(r.line, r.reason) for r in report.set_aside] == [(6, "reporter-is-partner")]
    assert report.balanced and report.rows_used == 2
    assert any("[reporter-is-partner]" in line for line in report.summary_lines())
    assert not any("--layout" in note for note in report.notes)  # the title says whose


def test_a_mexican_row_naming_mexico_itself_is_set_aside(tmp_path):
    path = mexico_table(tmp_path, [mexico_row("Colombia", 3900, 1600, 4010, 1700),
                                   mexico_row("MÉXICO", 10, 5, 12, 6),
                                   mexico_row("Perú", 1700, 600, 1900, 650)])
    frame, report = read(path)
    assert "MEX" not in set(frame["partner"])
    assert [(r.line, r.reason) for r in report.set_aside] == [(6, "reporter-is-partner")]
    assert report.balanced and report.rows_used == 2


# --- a country or a year given twice ------------------------------------------------------

def test_a_dane_country_row_repeated_is_set_aside_not_added(tmp_path):
    path = dane_table(tmp_path, ["Chile;702,4;688,1",
                                 "Perú;1.020,6;1.105,2",
                                 "Chile;702,4;688,1",
                                 "Perú;1.020,6;1.200,0",
                                 "Corea del Sur;210,9;251,3"])
    frame, report = read(path)
    got = sums(frame)
    assert got[("COL", "CHL", 2022, "export", "FOB")] == Decimal("688100000")
    assert ("COL", "PER", 2022, "export", "FOB") not in got  # which one is right? neither
    assert [(r.line, r.reason) for r in report.set_aside] == [
        (6, "conflicting-row"), (7, "duplicate-row"), (8, "conflicting-row")]
    assert report.balanced and report.rows_used == 2


def test_a_mexican_country_row_repeated_is_set_aside_not_added(tmp_path):
    path = mexico_table(tmp_path, [mexico_row("Colombia", 3900, 1600, 4010, 1700),
                                   mexico_row("Chile", 1500, 1900, 1600, 2000),
                                   mexico_row("COLOMBIA", 3900, 1600, 4010, 1700),
                                   mexico_row("Chile", 1500, 1900, 1600, 2100)])
    frame, report = read(path)
    got = sums(frame)
    assert got[("MEX", "COL", 2022, "import", "FOB")] == Decimal("1700000")
    assert ("MEX", "CHL", 2022, "import", "FOB") not in got
    assert [(r.line, r.reason) for r in report.set_aside] == [
        (6, "conflicting-row"), (7, "duplicate-row"), (8, "conflicting-row")]
    assert report.balanced and report.rows_used == 1


def test_rows_of_a_group_under_several_regions_are_added_up(tmp_path):
    path = mexico_table(tmp_path, [mexico_row("AMÉRICA", 5000, 3000, 5200, 3100),
                                   mexico_row("Otros", 100, 50, 110, 55),
                                   mexico_row("ASIA", 4000, 9000, 4200, 9500),
                                   mexico_row("Otros", 20, 30, 25, 35)])
    frame, report = read(path)
    assert sums(frame)[("MEX", "XOT", 2021, "export", "FOB")] == Decimal("120000")
    assert report.set_aside == [] and report.rows_used == 4


def test_two_dane_columns_of_the_same_year_are_refused(tmp_path):
    path = dane_table(tmp_path, ["Chile;702,4;688,1"], header="País de destino;2021;2021")
    message = one_line_error(lambda: read(path))
    assert message.startswith(str(path)) and "line 4" in message and "2021" in message


def test_two_mexican_blocks_of_the_same_year_are_refused(tmp_path):
    path = mexico_table(tmp_path, [mexico_row("Chile", 1500, 1900, 1600, 2000)],
                        years=",2021,,,,2021,,,")
    message = one_line_error(lambda: read(path))
    assert message.startswith(str(path)) and "line 3" in message and "2021" in message


def test_the_secretarias_header_under_a_title_naming_colombia_is_mexicos(tmp_path):
    # Colombia is a partner here: the SE's own header and 'Fuente: SE.' say whose it is
    path = mexico_table(
        tmp_path, [mexico_row("Colombia", 3900, 1600, 4010, 1700),
                   mexico_row("Chile", 1500, 1900, 1600, 2000)],
        title="Balanza comercial con los países de la Alianza del Pacífico: Colombia, Chile "
              "y Perú", notes=["Fuente: SE."])
    frame, report = read(path)
    assert set(frame["reporter"]) == {"MEX"} and set(frame["partner"]) == {"COL", "CHL"}
    assert report.set_aside == []


def test_the_source_line_outranks_a_comparison_in_the_notes(tmp_path):
    path = dane_table(tmp_path, ["Estados Unidos;9.812,4;10.245,7", "México;1.411,3;1.530,8"],
                      title="Exportaciones según país de destino",
                      notes=["Fuente: DANE, con base en DIAN. Comparar con cifras de "
                             "Banxico/INEGI para México."])
    frame, report = read(path)
    assert set(frame["reporter"]) == {"COL"} and set(frame["partner"]) == {"USA", "MEX"}
    assert report.set_aside == []


def test_a_year_column_under_no_period_of_the_line_above_is_refused(tmp_path):
    from pa_trade.errors import DataError

    path = tmp_path / "cuadro.csv"
    path.write_text(
        "Colombia. Exportaciones según país de destino\nMiles de dólares FOB\n"
        ";;Junio;;Enero - junio\nPaís;2022;2023p;2022;2023p\nChile;100;110;600;650\n"
        "Fuente: DANE - DIAN\n", encoding="utf-8")
    with pytest.raises(DataError, match="stands under no period of the line above"):
        readers.load([str(path)])


def test_a_date_of_publication_in_the_title_names_no_period(tmp_path):
    path = tmp_path / "cuadro.csv"
    path.write_text(
        "Colombia. Exportaciones según país de destino\nActualizado el 15 de junio de 2024\n"
        "Millones de dólares FOB\nPaís;2021;2022\nChile;1.203,7;1.355,0\n"
        "Fuente: DANE - DIAN\n", encoding="utf-8")
    flows = readers.load([str(path)]).flows
    assert flows["month"].isna().all() and flows["months"].isna().all()  # whole years


def test_an_abbreviated_cumulative_label_is_read():
    from pa_trade.readers.tables import period_of

    period = period_of("Ene-jun acum.")
    assert (period.first, period.last, period.monthly) == (1, 6, False)
