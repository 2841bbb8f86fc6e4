"""The digest's chart: sent, delivered and read of the last seven days, as a small PNG.

People read a trend faster from a picture than from seven lines of figures. matplotlib is
imported here, lazily, when a chart is drawn: start-up and everything that draws nothing stay
as fast as before. It draws on a Figure with the Agg canvas, never through pyplot, so it needs
no display and no backend setting (MPLBACKEND is not read), and it keeps no global figure
state between poster threads.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence

from babel.dates import format_skeleton

from bot.domain.digest import DayTotals
from bot.i18n import current, say

WIDTH, HEIGHT, DPI = 800, 300, 100  # pixels
COLOURS = ("#4C6EF5", "#40C057", "#FAB005")  # sent, delivered, read
_DRAWING = threading.Lock()  # matplotlib's font caches are not made for threads drawing at once


def file_name(day: object) -> str:
    """The chart's file name: the same in every language, so a retry can find it in the
    thread whatever HEYNOW_LANGUAGE said then."""
    return f"heynow-digest-{day}.png"


def chart_png(week: Sequence[DayTotals]) -> bytes:
    """The chart of `week` (oldest day first) in the language being spoken."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    locale = current().locale
    labels = [format_skeleton("MEd", d.day, locale=locale) for d in week]
    series = (
        (say("digest.chart.sent"), [d.sent for d in week]),
        (say("digest.chart.delivered"), [d.delivered for d in week]),
        (say("digest.chart.read"), [d.read for d in week]),
    )
    with _DRAWING:
        figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        width = 0.8 / len(series)
        for number, ((name, values), colour) in enumerate(zip(series, COLOURS, strict=True)):
            places = [i + (number - 1) * width for i in range(len(week))]
            bars = axes.bar(places, values, width, label=name, color=colour)
            if number == 0:
                axes.bar_label(bars, fontsize=8, padding=2)
        axes.set_xticks(range(len(week)), labels, fontsize=9)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(bottom=0, top=max([1, *(d.sent for d in week)]) * 1.2)
        axes.spines[["top", "right"]].set_visible(False)
        axes.set_title(say("digest.chart.title"), fontsize=11, loc="left")
        axes.legend(  # above the bars, beside the title: it never hides a bar
            loc="lower right", bbox_to_anchor=(1, 1), fontsize=8, frameon=False, ncols=len(series)
        )
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()
