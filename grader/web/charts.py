"""Server-rendered SVG charts: the geometry is computed here, the templates
draw it (so every label goes through Jinja's escaping). No JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD, BASE = 560, 240, 36, 28  # viewBox size, left pad, room for labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str  # the band, e.g. "90-100 %"


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    bars: list[Bar]
    top: int  # the highest count (y axis)
    total: int
    baseline: float


def histogram(buckets: list[int]) -> Histogram:
    top = max(buckets, default=0)
    slots = len(buckets) or 1
    slot = (WIDTH - PAD) / slots
    plot = HEIGHT - BASE - 12
    step = 100 // slots
    bars = []
    for index, count in enumerate(buckets):
        height = plot * count / top if top else 0.0
        bars.append(Bar(x=PAD + index * slot + 3, y=HEIGHT - BASE - height,
                        width=slot - 6, height=height, count=count,
                        label=f"{index * step}-{(index + 1) * step} %"))
    return Histogram(width=WIDTH, height=HEIGHT, bars=bars, top=top, total=sum(buckets),
                     baseline=HEIGHT - BASE)


@dataclass(frozen=True)
class Spark:
    width: int
    height: int
    points: str  # the polyline's "x,y x,y ..."
    dots: list[tuple[float, float]]


def sparkline(ratios: list[float], *, width: int = 160, height: int = 36) -> Spark | None:
    """Scores over time (0..1 each) as a small line; None with fewer than two."""
    if len(ratios) < 2:
        return None
    step = (width - 8) / (len(ratios) - 1)
    dots = [(4 + i * step, height - 4 - r * (height - 8)) for i, r in enumerate(ratios)]
    return Spark(width=width, height=height, dots=dots,
                 points=" ".join(f"{x:.1f},{y:.1f}" for x, y in dots))


def score_label(value: float | None) -> str:
    """2.0 -> "2", 2.5 -> "2.5", None -> "-"."""
    if value is None:
        return "-"
    return f"{value:.2f}".rstrip("0").rstrip(".")
