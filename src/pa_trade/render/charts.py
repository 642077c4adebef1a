"""Charts where people would rather look than read.

Terminal bars (`bars`, `pair_bars`) are plain Unicode text that fits the terminal's width,
with negative values to the left of an axis and ANSI colour only when stdout is a terminal.
Files (`plot_trend`, `plot_bars`) are drawn with matplotlib, which is imported only inside
those functions: install it with the `plot` extra (pip install 'pa-trade[plot]').
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from typing import TYPE_CHECKING

from pa_trade.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

EIGHTHS = " ▏▎▍▌▋▊▉█"  # left-aligned partial blocks, 0/8 to 8/8 of a cell
RIGHT_HALF = "▐"  # the only right-aligned partial block fonts draw reliably
AXIS = "│"
MAX_WIDTH = 100  # wider bars read no better
PLOT_SUFFIXES = (".png", ".svg")
GREEN, RED, CYAN, RESET = "\033[32m", "\033[31m", "\033[36m", "\033[0m"


def terminal_width() -> int:
    """The terminal's width in columns (80 when unknown), at most MAX_WIDTH."""
    return min(shutil.get_terminal_size((80, 24)).columns, MAX_WIDTH)


def use_colour(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _default_format(value: float) -> str:
    return f"{value:,.1f}"


def _right_bar(length: float, nonzero: bool) -> str:
    """A bar of `length` cells growing rightwards from the axis, to the eighth of a cell."""
    eighths = round(length * 8)
    if nonzero and eighths == 0:
        eighths = 1  # a small non-zero value still shows
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def _left_bar(length: float, nonzero: bool) -> str:
    """A bar of `length` cells growing leftwards from the axis, to the half cell."""
    halves = round(length * 2)
    if nonzero and halves == 0:
        halves = 1
    full, half = divmod(halves, 2)
    return (RIGHT_HALF if half else "") + "█" * full


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _render(
    labels: Sequence[str],
    lefts: Sequence[float],
    rights: Sequence[float],
    texts: Sequence[str],
    width: int | None,
    colour: bool | None,
    colours: tuple[str, str],
    header: tuple[str, str, str] | None = None,
) -> str:
    """Lines of `label  left-bar│right-bar  text`, one scale for both sides."""
    width = terminal_width() if width is None else width
    colour = use_colour() if colour is None else colour
    text_width = max((len(t) for t in texts), default=0)
    label_width = min(max((len(str(label)) for label in labels), default=0), max(width // 3, 6))
    # label, space, bars, axis, space, text; the bars keep 10 cells while labels can shrink
    area = width - label_width - 3 - text_width
    if area < 10:
        label_width = max(width - 3 - text_width - 10, 4)
        area = max(width - label_width - 3 - text_width, 2)
    # lengths relative to the largest value (0..1): no overflow with tiny or huge numbers
    shown_left = [not _missing(v) and v > 0 for v in lefts]  # before 1e-320 / 2 becomes 0
    shown_right = [not _missing(v) and v > 0 for v in rights]
    largest = max((v for v in (*lefts, *rights) if not _missing(v)), default=0.0)
    lefts = [v if _missing(v) or not largest else v / largest for v in lefts]
    rights = [v if _missing(v) or not largest else v / largest for v in rights]
    max_left = max((v for v in lefts if not _missing(v)), default=0.0)
    max_right = max((v for v in rights if not _missing(v)), default=0.0)
    if any(shown_left) and any(shown_right):
        # one scale for both sides, and at least a cell each so no bar vanishes
        left_cells = math.ceil(max_left * area / (max_left + max_right))
        left_cells = min(max(left_cells, 1), area - 1)
        right_cells = area - left_cells
        scale = min(left_cells / max_left if max_left else math.inf,
                    right_cells / max_right if max_right else math.inf)
    elif any(shown_left):
        left_cells, right_cells, scale = area, 0, area / max_left
    else:
        left_cells, right_cells = 0, area
        scale = area / max_right if max_right > 0 else 0.0
    lines = []
    if header:
        left_title, right_title, text_title = header
        head = " " * (label_width + 1) + _fit(left_title, left_cells).rjust(left_cells)
        head += AXIS + _fit(" " + right_title, right_cells).ljust(right_cells)
        head += " " + _fit(text_title, text_width)
        lines.append(head.rstrip())
    rows = zip(labels, lefts, rights, shown_left, shown_right, texts, strict=True)
    for label, left, right, show_left, show_right, text in rows:
        left_bar = ""
        if left_cells and not _missing(left):
            left_bar = _left_bar(left * scale, show_left)[-left_cells:]
        right_bar = ""
        if right_cells and not _missing(right):
            right_bar = _right_bar(right * scale, show_right)[:right_cells]
        left_pad = " " * (left_cells - len(left_bar))
        right_pad = " " * (right_cells - len(right_bar))
        if colour:
            left_bar = f"{colours[0]}{left_bar}{RESET}" if left_bar else ""
            right_bar = f"{colours[1]}{right_bar}{RESET}" if right_bar else ""
        line = (f"{_fit(str(label), label_width).ljust(label_width)} {left_pad}{left_bar}{AXIS}"
                f"{right_bar}{right_pad} {text}")
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    width: int | None = None,
    *,
    value_format: Callable[[float], str] | None = None,
    colour: bool | None = None,
    title: str | None = None,
) -> str:
    """Horizontal bars, one line per label: positive values right of the axis, negative left.

    `width`: total columns (default: the terminal's, at most 100); every line fits in it
    when it leaves 10 columns beside the longest number (40 columns always do).
    `value_format` writes the number shown after each bar (default 1,234.5); a missing value
    (None or NaN) has no bar and shows "–". `colour`: None decides from stdout (a terminal,
    and NO_COLOR unset). Returns the lines, ending with a newline.
    """
    fmt = value_format or _default_format
    lefts = [None if _missing(v) else max(-v, 0.0) for v in values]
    rights = [None if _missing(v) else max(v, 0.0) for v in values]
    texts = ["–" if _missing(v) else fmt(v) for v in values]
    out = _render(list(labels), lefts, rights, texts, width, colour, (RED, GREEN))
    return (f"{title}\n" if title else "") + out


def pair_bars(
    labels: Sequence[str],
    left_values: Sequence[float | None],
    right_values: Sequence[float | None],
    width: int | None = None,
    *,
    left_title: str = "",
    right_title: str = "",
    value_format: Callable[[float], str] | None = None,
    text: Sequence[str] | None = None,
    text_title: str = "",
    colour: bool | None = None,
    title: str | None = None,
) -> str:
    """Two series back to back on one scale: `left_values` grow left of the axis,
    `right_values` right (imports | exports per year, for instance).

    `text` (one per line) replaces the default "left / right" numbers after the bars;
    `text_title` heads that column.
    """
    fmt = value_format or _default_format
    if text is None:
        text = [f"{'–' if _missing(a) else fmt(a)} / {'–' if _missing(b) else fmt(b)}"
                for a, b in zip(left_values, right_values, strict=True)]
    lefts = [None if _missing(v) else abs(v) for v in left_values]
    rights = [None if _missing(v) else abs(v) for v in right_values]
    out = _render(list(labels), lefts, rights, list(text), width, colour, (CYAN, GREEN),
                  header=(left_title, right_title, text_title))
    return (f"{title}\n" if title else "") + out


def check_plot_path(path: str) -> str:
    """The plot format ('png' or 'svg') from the file name; UsageError for anything else."""
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix not in PLOT_SUFFIXES:
        raise UsageError(f"--plot {path}: the file name must end in .png or .svg")
    return suffix[1:]


def require_matplotlib() -> None:
    """UsageError, saying how to install it, when matplotlib cannot be imported."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError as exc:
        raise UsageError("--plot needs matplotlib: pip install 'pa-trade[plot]'") from exc


def _figure(width: float = 8.0, height: float = 4.5):
    """A matplotlib Figure outside pyplot: saved by the Agg (PNG) or SVG renderer, it needs
    no display and leaves the pyplot backend of a program that imports us alone."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise UsageError("--plot needs matplotlib: pip install 'pa-trade[plot]'") from exc

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure


def _save(figure, path: str) -> None:
    fmt = check_plot_path(path)
    import matplotlib

    metadata = {"Date": None} if fmt == "svg" else {}  # the same input gives the same file
    try:
        # a fixed salt for the SVG's element ids, set only while saving
        with matplotlib.rc_context({"svg.hashsalt": "pa-trade"}):
            figure.savefig(path, format=fmt, metadata=metadata)
    except OSError as exc:
        from pa_trade.errors import InputError

        raise InputError(f"{path}: cannot write the plot ({exc.strerror or exc})") from exc


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _position: f"{value:,.0f}")


def _caption(figure, caption: str) -> None:
    """Units, valuation and source in small print under the plot, clear of the x label."""
    if not caption:
        return
    figure.get_layout_engine().set(rect=(0.0, 0.05, 1.0, 0.95))
    figure.text(0.01, 0.01, caption, fontsize=7, color="#555555", ha="left", va="bottom",
                wrap=True)


def _style(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)


def plot_trend(
    years: Sequence[int],
    exports: Sequence[float | None],
    imports: Sequence[float | None],
    path: str,
    *,
    title: str,
    unit_label: str,
    scale: float = 1.0,
    agreements: Sequence[tuple[str, object]] = (),
    caption: str = "",
) -> None:
    """Exports and imports as lines, the balance as bars, a dashed line at each agreement.

    Values are divided by `scale` (1e6 for millions) and the y axis says `unit_label`.
    `agreements`: (name, datetime.date) pairs; the line is drawn at the date's fraction of
    its year. Writes PNG or SVG after the suffix of `path`.
    """
    check_plot_path(path)
    figure = _figure()
    axes = figure.add_subplot()

    def scaled(values):
        return [float("nan") if _missing(v) else v / scale for v in values]

    x, m = scaled(exports), scaled(imports)
    balance = [a - b for a, b in zip(x, m, strict=True)]
    axes.bar(years, balance, color=["#9ecae1" if b >= 0 else "#fcae91" for b in balance],
             width=0.6, label="Balance", zorder=1)
    axes.plot(years, x, marker="o", markersize=3, color="#238b45", label="Exports", zorder=3)
    axes.plot(years, m, marker="o", markersize=3, color="#2171b5", label="Imports", zorder=3)
    axes.axhline(0, color="#555555", linewidth=0.8)
    middle = (min(years) + max(years)) / 2 if len(years) else 0
    for name, date in agreements:
        position = date.year + (date.timetuple().tm_yday - 1) / 365.0
        axes.axvline(position, color="#cb181d", linestyle="--", linewidth=1.2, zorder=2)
        # the label reads away from the plot's edge nearest to the line
        right_half = position > middle
        axes.annotate(f"{name}\nin force {date.isoformat()}", xy=(position, 1.0),
                      xycoords=("data", "axes fraction"), xytext=(-4 if right_half else 4, -4),
                      textcoords="offset points", va="top", ha="right" if right_half else "left",
                      fontsize=8, color="#cb181d")
    axes.set_title(title, pad=22)  # room for the legend between title and plot
    axes.set_xlabel("Year")
    axes.set_ylabel(unit_label)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.yaxis.set_major_formatter(_thousands())
    # above the plot, under the title: never on top of a line or the agreement's label
    axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3, frameon=False,
                fontsize=8)
    _style(axes)
    _caption(figure, caption)
    _save(figure, path)


def plot_bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    path: str,
    *,
    title: str,
    unit_label: str,
    scale: float = 1.0,
    caption: str = "",
) -> None:
    """Horizontal bars (negative to the left of zero), one per label, top to bottom."""
    check_plot_path(path)
    height = max(2.5, 0.35 * len(labels) + 1.5)
    figure = _figure(8.0, height)
    axes = figure.add_subplot()
    numbers = [0.0 if _missing(v) else v / scale for v in values]
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, numbers, color=["#238b45" if v >= 0 else "#cb181d" for v in numbers])
    axes.set_yticks(positions, labels=list(labels))
    axes.axvline(0, color="#555555", linewidth=0.8)
    axes.set_title(title)
    axes.set_xlabel(unit_label)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="x", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.xaxis.set_major_formatter(_thousands())
    _caption(figure, caption)
    _save(figure, path)
