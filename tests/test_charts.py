"""Charts: terminal bars that fit the width and draw negatives left of the axis; PNG/SVG files."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_trade.errors import UsageError
from pa_trade.render.charts import AXIS, bars, check_plot_path, pair_bars, plot_bars
from tests.test_mirror import imf_reference, line_with, tidy_file

ESC = "\x1b["


def bar_cells(line: str) -> tuple[int, int]:
    """(cells left of the axis, cells right of it) drawn with block characters."""
    left, right = line.split(AXIS, 1)
    blocks = set("█▏▎▍▌▋▊▉▐")
    return sum(c in blocks for c in left), sum(c in blocks for c in right)


@pytest.fixture(scope="module")
def imf():
    return imf_reference()


# --- terminal bars -------------------------------------------------------------------------

def test_balance_bars_fit_80_columns_with_deficits_left_of_the_axis():
    labels = ["Mexico", "United States of America", "China", "Peru", "Ecuador"]
    values = [-2_422_000_000, 1_200_000_000, -9_500_000_000, 650_000_000, None]
    text = bars(labels, values, 80, value_format=lambda v: f"{v / 1e6:,.1f}", colour=False)
    lines = text.splitlines()
    assert len(lines) == len(labels)
    assert all(len(line) <= 80 for line in lines)
    axis_columns = {line.index(AXIS) for line in lines}
    assert len(axis_columns) == 1  # one axis, straight down
    china = line_with(text, "China")
    mexico = line_with(text, "Mexico")
    usa = line_with(text, "United States")
    assert bar_cells(china)[0] > bar_cells(mexico)[0] > 0 and bar_cells(china)[1] == 0
    assert bar_cells(usa)[1] > bar_cells(line_with(text, "Peru"))[1] > 0
    assert bar_cells(usa)[0] == 0
    assert china.endswith("-9,500.0") and usa.endswith("1,200.0")
    assert bar_cells(line_with(text, "Ecuador")) == (0, 0)
    assert line_with(text, "Ecuador").endswith("–")
    assert "United States of" in usa  # long labels are cut, not the bars


def test_the_longest_bar_fills_the_space_it_has():
    text = bars(["a", "b"], [10, 5], 60, colour=False)
    a, b = text.splitlines()
    assert len(a) == 60
    assert bar_cells(a)[1] == 2 * bar_cells(b)[1]


def test_no_colour_unless_asked_or_on_a_terminal(monkeypatch):
    assert ESC not in bars(["x", "y"], [1, -1], 40, colour=False)
    coloured = bars(["x", "y"], [1, -1], 40, colour=True)
    assert ESC in coloured
    # colour codes take no columns: the visible lines still fit
    import re

    assert all(len(re.sub(r"\x1b\[[0-9;]*m", "", line)) <= 40
               for line in coloured.splitlines())
    assert ESC not in bars(["x"], [1], 40)  # pytest's stdout is not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    from pa_trade.render.charts import use_colour

    class Terminal:
        def isatty(self):
            return True

    assert use_colour(Terminal()) is False
    monkeypatch.delenv("NO_COLOR")
    assert use_colour(Terminal()) is True


def test_the_width_follows_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    assert max(len(line) for line in bars(["a"], [1], colour=False).splitlines()) == 50
    monkeypatch.setenv("COLUMNS", "300")
    assert max(len(line) for line in bars(["a"], [1], colour=False).splitlines()) == 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(-1e12, 1e12, allow_nan=False)), min_size=1,
                max_size=15),
       st.integers(40, 140))
def test_every_line_fits_any_width(values, width):
    labels = [f"partner {i}" * (i % 4 + 1) for i in range(len(values))]
    text = bars(labels, values, width, colour=False)
    lines = text.splitlines()
    assert len(lines) == len(values)
    assert all(len(line) <= width for line in lines)
    assert len({line.index(AXIS) for line in lines}) == 1
    for line, value in zip(lines, values, strict=True):
        left, right = bar_cells(line)
        if value is None or value == 0:
            assert (left, right) == (0, 0)
        else:
            assert (left > 0) == (value < 0) and (right > 0) == (value > 0)


def test_pair_bars_put_one_series_each_side():
    text = pair_bars(["2003", "2004 ◆"], [536.6, 801.0], [1079.8, 1868.6], 80,
                     left_title="◀ imports", right_title="exports ▶", text=["+543.2", "+1,067.6"],
                     text_title="balance", colour=False)
    header, y2003, y2004 = text.splitlines()
    assert header.index(AXIS) == y2003.index(AXIS) == y2004.index(AXIS)
    assert "imports" in header.split(AXIS)[0] and "exports" in header.split(AXIS)[1]
    assert header.rstrip().endswith("balance")
    assert bar_cells(y2004)[0] > bar_cells(y2003)[0] and bar_cells(y2004)[1] > bar_cells(y2003)[1]
    assert all(len(line) <= 80 for line in text.splitlines())


def test_trend_chart_in_an_80_column_terminal(run, imf):
    path, _ = imf
    result = run("trend", "chile", "-p", "korea", "-y", "2000-2020", "-d", path, "--chart",
                 env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    chart = result.stdout.split("Imports and exports, millions of US dollars")[1]
    chart_lines = [line for line in chart.splitlines() if AXIS in line]
    assert len(chart_lines) == 22  # the header and 21 years
    assert all(len(line) <= 80 for line in chart_lines)
    assert "◆" in line_with(chart, "2004")
    assert line_with(chart, "2004").endswith("+1,067.6")
    assert ESC not in result.stdout


def test_markdown_puts_the_chart_in_a_code_block(run, tmp_path):
    data = tidy_file(tmp_path, ["CHL,KOR,2020,export,5,FOB,t", "CHL,KOR,2020,import,3,CIF,t"])
    out = run("trend", "chile", "-p", "korea", "-d", data, "--chart", "-f", "markdown").stdout
    assert "```text\nImports and exports" in out


# --- files ---------------------------------------------------------------------------------

def test_plot_file_names_must_say_png_or_svg():
    assert check_plot_path("out.PNG") == "png" and check_plot_path("a/b.svg") == "svg"
    for bad in ("out.pdf", "out", "png"):
        with pytest.raises(UsageError):
            check_plot_path(bad)


def test_trend_plot_is_a_real_png_with_something_drawn(run, imf, tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    path, _ = imf
    target = tmp_path / "chile_korea.png"
    result = run("trend", "chile", "-p", "korea", "-y", "2000-2020", "-d", path, "--plot",
                 str(target))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {target}" in result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 20_000
    image = imread(str(target))
    assert image.shape[0] >= 400 and image.shape[1] >= 700
    pixels = image.reshape(-1, image.shape[-1])
    colours = {tuple(p) for p in pixels[:: max(len(pixels) // 50_000, 1)]}
    assert len(colours) > 10  # lines, bars, text: not a blank page
    red = ((image[..., 0] > 0.7) & (image[..., 1] < 0.3) & (image[..., 2] < 0.3)).sum()
    assert red > 100  # the agreement's dashed line


def test_svg_plot_and_balance_bars_plot(run, tmp_path):
    pytest.importorskip("matplotlib")
    data = tidy_file(tmp_path, ["CHL,KOR,2019,export,5e9,FOB,t", "CHL,KOR,2019,import,3e9,CIF,t",
                                "CHL,KOR,2020,export,6e9,FOB,t", "CHL,KOR,2020,import,2e9,CIF,t"])
    svg = tmp_path / "trend.svg"
    assert run("trend", "chile", "-p", "korea", "-d", data, "--plot", str(svg), "-q",
               "-f", "csv").exit_code == 0
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "Chile: trade with South Korea" in text
    again = tmp_path / "again.svg"
    run("trend", "chile", "-p", "korea", "-d", data, "--plot", str(again), "-q", "-f", "csv")
    assert again.read_bytes() == svg.read_bytes()  # the same data give the same file
    png = tmp_path / "balance.png"
    plot_bars(["Mexico", "Peru"], [-2.4e9, 0.6e9], str(png), title="Colombia, 2022",
              unit_label="Millions of US dollars", scale=1e6)
    assert png.stat().st_size > 5_000


def test_an_unwritable_plot_path_is_an_input_error(run, tmp_path):
    pytest.importorskip("matplotlib")
    data = tidy_file(tmp_path, ["CHL,KOR,2020,export,5,FOB,t"])
    result = run("trend", "chile", "-p", "korea", "-d", data, "--plot",
                 str(tmp_path / "no" / "such" / "folder.png"))
    assert result.exit_code == 3
    assert "cannot write the plot" in result.stderr


def test_without_matplotlib_plot_says_how_to_get_it(run, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import now fails
    data = tidy_file(tmp_path, ["CHL,KOR,2020,export,5,FOB,t"])
    result = run("trend", "chile", "-p", "korea", "-d", data, "--plot",
                 str(tmp_path / "out.png"))
    assert result.exit_code == 2
    assert "--plot needs matplotlib: pip install 'pa-trade[plot]'" in result.stderr
    assert not (tmp_path / "out.png").exists() and result.stdout == ""
