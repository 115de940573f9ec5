"""The report page's charts as inline SVG drawn on the server: no script, no library, readable on a projector.

Each chart has a natural size in its own units, with text of 18 to 24 px at that
size, dark text on white and bars in one strong colour, each bar's value written
beside it. The page's CSP forbids inline styles, so everything is drawn with
presentation attributes (fill, font-size), which reports.css may override for
print. Every text from the database is escaped (Markup.format) and names are cut
to NAME_CHARS characters with "…", so a long or hostile branch name breaks
neither the layout nor the page. A chart with nothing to show says 暂无数据.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from keting_i18n import text
from server.records.reports import Report
from server.web.console.member_pages import lessons_text

NAME_CHARS = 10  # a bar's label at most, "…" included
FONT = 20  # the charts' text, in the SVG's own units
LABEL_FONT = 18  # axis labels under vertical bars
INK = "#1f2328"
BAR = "#b71c1c"
AXIS = "#57606a"
WIDTH = 960
DENSE_WIDTH = 1280  # wider than this at their usual spacing, vertical bars are drawn narrow, texts upright
DENSE_SLOT = 22


@dataclass(frozen=True)
class Bar:
    """One bar: its label (full; the chart cuts it), its value (the bar's length) and the value as written."""

    label: str
    value: float
    shown: str


def cut(name: str, chars: int = NAME_CHARS) -> str:
    """`name` as it fits a chart: at most `chars` characters, the last one "…" when it is longer."""
    return name if len(name) <= chars else name[:chars - 1] + "…"


def percent_text(share: float) -> str:
    """A share (0.5) as a percentage with at most one decimal ("50%", "33.3%")."""
    return f"{100 * share:.1f}".rstrip("0").rstrip(".") + "%"


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = FONT, css: str = "",
          upright: bool = False) -> Markup:
    """A text at (x, y); `upright` turns it a quarter to read bottom to top (the dense charts' labels)."""
    turn = Markup(' transform="rotate(-90 {:.1f} {:.1f})"').format(x, y) if upright else ""
    return Markup('<text x="{:.1f}" y="{:.1f}" text-anchor="{}" dominant-baseline="central" font-size="{}" '
                  'fill="{}" class="{}"{}>{}</text>').format(x, y, anchor, size, INK, css, turn, content)


def _svg(width: float, height: float, title: str, bars: list[Bar], body: list[Markup], lang: str) -> Markup:
    """The chart's frame: role="img" with its data in words as aria-label, a <title>, a white background."""
    if bars:
        items = text("console.report_chart_separator", lang=lang).join(
            text("console.report_chart_item", lang=lang, label=bar.label, value=bar.shown) for bar in bars)
    else:
        items = text("console.report_no_data", lang=lang)
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{w:.0f}" height="{h:.0f}" '
                  'viewBox="0 0 {w:.0f} {h:.0f}" aria-label="{label}"><title>{title}</title>'
                  '<rect class="chart-paper" width="{w:.0f}" height="{h:.0f}" fill="#fff"/>{body}</svg>').format(
        w=width, h=height, title=title, body=Markup("").join(body),
        label=text("console.report_chart_label", lang=lang, title=title, items=items))


def _empty(title: str, lang: str) -> Markup:
    note = _text(WIDTH / 2, 80, text("console.report_no_data", lang=lang), "middle", 24, "chart-empty")
    return _svg(WIDTH, 160, title, [], [note], lang)


def horizontal_bars(bars: list[Bar], title: str, lang: str) -> Markup:
    """Bars from a label column on the left, each value written after its bar; the longest bar fills the width."""
    scale = max((bar.value for bar in bars), default=0.0)
    if scale <= 0:
        return _empty(title, lang)
    row, top, left, right = 44, 16, NAME_CHARS * FONT + 24, 110
    height = 2 * top + len(bars) * row
    body = [Markup('<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="2"/>').format(
        left, top, height - top, AXIS)]
    for index, bar in enumerate(bars):
        middle = top + index * row + row / 2
        length = (WIDTH - left - right) * max(bar.value, 0.0) / scale
        body.append(Markup('<g class="bar"><title>{}</title>{}<rect x="{}" y="{:.1f}" width="{:.1f}" height="{}" '
                           'fill="{}" class="chart-bar"/>{}</g>').format(
            text("console.report_chart_item", lang=lang, label=bar.label, value=bar.shown),
            _text(left - 12, middle, cut(bar.label), "end"), left, middle - 13, length, 26, BAR,
            _text(left + length + 8, middle, bar.shown, css="chart-value")))
    return _svg(WIDTH, height, title, bars, body, lang)


def vertical_bars(bars: list[Bar], title: str, lang: str, scale: float | None = None, min_slot: int = 72) -> Markup:
    """A bar per label along the bottom, each value written above its bar; `scale` is the top (default: the
    largest value). Bars that do not fit DENSE_WIDTH side by side (a year's weeks) are drawn narrow with their
    texts upright; beyond that (years of weeks) the chart widens (the page scrolls it) rather than shrink its text."""
    scale = scale or max((bar.value for bar in bars), default=0.0)
    if scale <= 0 or not any(bar.value > 0 for bar in bars):
        return _empty(title, lang)
    side, plot = 24, 240
    dense = 2 * side + min_slot * len(bars) > DENSE_WIDTH
    slot = DENSE_SLOT if dense else max(min_slot, (WIDTH - 2 * side) // len(bars))
    top, bottom = (72, 72) if dense else (44, 48)
    width, base, thick = max(WIDTH, 2 * side + slot * len(bars)), top + plot, min(slot * 0.6, 80)
    body = [Markup('<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="{3}" stroke-width="2"/>').format(
        side, base, width - side, AXIS)]
    for index, bar in enumerate(bars):
        centre = side + slot * index + slot / 2
        length = plot * min(max(bar.value, 0.0), scale) / scale
        body.append(Markup('<g class="bar"><title>{}</title><rect x="{:.1f}" y="{:.1f}" width="{:.1f}" '
                           'height="{:.1f}" fill="{}" class="chart-bar"/>{}{}</g>').format(
            text("console.report_chart_item", lang=lang, label=bar.label, value=bar.shown),
            centre - thick / 2, base - length, thick, length, BAR,
            _text(centre, base - length - 8, bar.shown, "start", LABEL_FONT, "chart-value", upright=True) if dense
            else _text(centre, base - length - 16, bar.shown, "middle", css="chart-value"),
            _text(centre, base + 8, cut(bar.label, 8), "end", LABEL_FONT, upright=True) if dense
            else _text(centre, base + bottom / 2, cut(bar.label, 8), "middle", LABEL_FONT)))
    return _svg(width, base + bottom, title, bars, body, lang)


def branch_hours(report: Report, lesson_s: float, lang: str) -> Markup:
    """学时 per branch (horizontal bars); a branch name shared by two communities is shown with its community."""
    names = [branch.name for branch in report.branches]
    bars = [Bar(branch.name if names.count(branch.name) == 1 else f"{branch.community}/{branch.name}",
                branch.period_s / lesson_s, lessons_text(branch.period_s, lesson_s)) for branch in report.branches]
    return horizontal_bars(bars, text("console.report_chart_branches", lang=lang), lang)


def weekly_hours(report: Report, lesson_s: float, lang: str) -> Markup:
    """学时 per week (vertical bars), each labelled by the week's first day in the period (M/D)."""
    bars = [Bar(f"{first.month}/{first.day}", seconds / lesson_s, lessons_text(seconds, lesson_s))
            for first, seconds in report.weeks]
    return vertical_bars(bars, text("console.report_chart_weeks", lang=lang), lang)


def monthly_participation(report: Report, lang: str) -> Markup:
    """The share of the active members who studied, per month (vertical bars up to 100%)."""
    members = report.total.members
    bars = [Bar(month, count / members if members else 0.0, percent_text(count / members if members else 0.0))
            for month, count in report.months]
    return vertical_bars(bars, text("console.report_chart_months", lang=lang), lang, scale=1.0, min_slot=80)
