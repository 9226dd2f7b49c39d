"""Small server-rendered SVG charts: no JavaScript chart library, nothing from a CDN.

Every label is escaped; the SVG scales with its container through ``viewBox``. Colours come from
CSS classes (``bot/web/static/staff/staff.css``) so the charts follow the console's theme.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from markupsafe import Markup, escape


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def column_chart(
    points: Sequence[Tuple[str, float]], title: str, width: int = 640, height: int = 200
) -> Markup:
    """Vertical bars, one per point (e.g. per day); every n-th label so they never overlap."""
    left, right, top, bottom = 34, 8, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, v in points), default=0))
    if all(float(v).is_integer() for _, v in points):
        top_value = max(2, top_value)  # counts: no "0.5" tick
    slot = plot_w / max(1, len(points))
    bar_w = max(1.0, slot * 0.72)
    label_every = max(1, round(len(points) / 8))
    parts: List[str] = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(top_value * fraction)}</text>"
        )
    for index, (label, value) in enumerate(points):
        x = left + index * slot + (slot - bar_w) / 2
        h = plot_h * (value / top_value) if top_value else 0
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {_number(value)}</title></rect>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_list(
    items: Sequence[Tuple[str, float]], title: str, width: int = 640, row: int = 26
) -> Markup:
    """Horizontal bars with the label on the left and the value on the right (top-N lists)."""
    label_w, value_w = 210, 48
    height = max(row, row * len(items)) + 4
    top_value = max((v for _, v in items), default=0) or 1
    bar_space = width - label_w - value_w
    parts: List[str] = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    if not items:
        parts.append(f'<text class="axis" x="0" y="{row - 8}">No data in this period</text>')
    for index, (label, value) in enumerate(items):
        y = index * row + 2
        w = max(2.0, bar_space * value / top_value)
        shown = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text class="label" x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(shown)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" '
            f'height="{row - 8}" rx="2">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + row / 2 + 4:.1f}">'
            f"{_number(value)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
