"""Bar charts of the usage ledger, laid out on the server and drawn by the template as inline SVG.

No JavaScript and no chart library: the geometry is computed here (plain numbers in frozen
dataclasses) and `templates/settings/_chart.html` writes one <rect> per value. SVG coordinates do not
follow the page's direction, so for Persian and Arabic the layout is mirrored here: bars grow from the
right, the time axis runs right to left, numbers are anchored the other way, and the names are set
right to left (SVG `direction`), so "source ← recipient" reads in the page's order whatever scripts
the names are in.
The table beside each chart holds the same numbers: it is the accessible form of the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SERIES = ("supplied", "taken")

# Horizontal chart (one group of bars per member pair, under the pair's name: agency names are long,
# so they get the chart's whole width rather than a column beside the bars).
H_WIDTH = 720
H_SIDE = 8  # where the names and the bars start
H_NAME = 18  # the row of the pair's name above its bars
H_VALUE_ROOM = 60  # room after the longest bar for its number
H_BAR = 14
H_GROUP_GAP = 12
H_TOP = 4

# Vertical chart (one group of bars per period).
V_HEIGHT = 260
V_BOTTOM = 28  # room for the period labels
V_TOP = 22  # room for the numbers above the bars
V_BAR = 16
V_GROUP_GAP = 22
V_SIDE = 16
V_MIN_WIDTH = 320


@dataclass(frozen=True, slots=True)
class Category:
    """One group of bars: a member pair or a period, with its value per series."""

    label: str
    values: tuple[int, ...]  # in SERIES order


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    value: int
    category: str


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str  # SVG text-anchor: start, middle or end (of the text in its `direction`)
    kind: str  # "category" or "value"
    value: int | None = None  # for value labels: the number, written by the template in the reader's digits
    direction: str = "ltr"  # the text's base direction: names are set right to left in RTL charts


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]
    baseline: tuple[float, float, float, float]  # x1, y1, x2, y2 of the axis line


def _mirror_bar(bar: Bar, width: int) -> Bar:
    return Bar(width - bar.x - bar.width, bar.y, bar.width, bar.height, bar.series, bar.value, bar.category)


_SWAP = {"start": "end", "end": "start", "middle": "middle"}


def _mirror_label(label: Label, width: int) -> Label:
    if label.kind == "category":
        # Set right to left, a name's start is its right edge: the same anchor then mirrors it.
        return Label(width - label.x, label.y, label.text, label.anchor, label.kind, label.value, "rtl")
    return Label(width - label.x, label.y, label.text, _SWAP[label.anchor], label.kind, label.value)


def _mirrored(chart: Chart, rtl: bool) -> Chart:
    if not rtl:
        return chart
    x1, y1, x2, y2 = chart.baseline
    return Chart(
        chart.name,
        chart.width,
        chart.height,
        tuple(_mirror_bar(bar, chart.width) for bar in chart.bars),
        tuple(_mirror_label(label, chart.width) for label in chart.labels),
        (chart.width - x1, y1, chart.width - x2, y2),
    )


def _largest(categories: Sequence[Category]) -> int:
    return max((value for category in categories for value in category.values), default=0) or 1


def horizontal(name: str, categories: Sequence[Category], rtl: bool) -> Chart:
    """Bars growing from the start side (left in LTR, right in RTL) under their category's name."""
    scale = (H_WIDTH - H_SIDE - H_VALUE_ROOM) / _largest(categories)
    origin = H_SIDE
    group = H_NAME + len(SERIES) * H_BAR + H_GROUP_GAP
    bars: list[Bar] = []
    labels: list[Label] = []
    for index, category in enumerate(categories):
        top = H_TOP + index * group
        labels.append(Label(H_SIDE, top + H_NAME - 5, category.label, "start", "category"))
        for offset, (series, value) in enumerate(zip(SERIES, category.values, strict=True)):
            y = top + H_NAME + offset * H_BAR
            length = round(value * scale, 2)
            bars.append(Bar(origin, y, length, H_BAR - 2, series, value, category.label))
            labels.append(Label(origin + length + 4, y + H_BAR - 3, "", "start", "value", value))
    height = max(H_TOP * 2 + len(categories) * group, 40)
    chart = Chart(name, H_WIDTH, height, tuple(bars), tuple(labels), (origin, 0, origin, height))
    return _mirrored(chart, rtl)


def vertical(name: str, categories: Sequence[Category], rtl: bool) -> Chart:
    """Bars standing on a time axis that runs in the reading direction, a group per category."""
    group = len(SERIES) * V_BAR + V_GROUP_GAP
    width = max(V_MIN_WIDTH, V_SIDE * 2 + len(categories) * group)
    floor = V_HEIGHT - V_BOTTOM
    scale = (floor - V_TOP) / _largest(categories)
    bars: list[Bar] = []
    labels: list[Label] = []
    for index, category in enumerate(categories):
        left = V_SIDE + index * group + V_GROUP_GAP / 2
        labels.append(Label(left + len(SERIES) * V_BAR / 2, floor + 18, category.label, "middle", "category"))
        for offset, (series, value) in enumerate(zip(SERIES, category.values, strict=True)):
            x = left + offset * V_BAR
            height = round(value * scale, 2)
            bars.append(Bar(x, floor - height, V_BAR - 2, height, series, value, category.label))
            labels.append(Label(x + (V_BAR - 2) / 2, floor - height - 4, "", "middle", "value", value))
    chart = Chart(name, width, V_HEIGHT, tuple(bars), tuple(labels), (V_SIDE, floor, width - V_SIDE, floor))
    return _mirrored(chart, rtl)
