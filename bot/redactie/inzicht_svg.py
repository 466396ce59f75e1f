"""Server-side SVG charts for Inzicht: no script, no CDN, readable without colour.

Each chart is an <svg role="img"> with a <title>; the page puts the text summary
next to it. Presentation attributes only (fill=, stroke=), so the Redactie's CSP
(no inline styles) holds. Bars for a number with hidden cells get a dashed outline.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from bot.redactie.inzicht_view import Total

# Colours with at least 3:1 contrast on white, told apart by marker shape too.
COLOURS = ("#1f5fa8", "#b3401e", "#2b7a3d", "#6b3fa0", "#8a6d00", "#00707a", "#a0306b", "#4d4d4d")
MARKERS = ("circle", "square", "diamond", "triangle")


def bar_chart(title: str, bars: Mapping[str, Total], labels: Mapping[str, str] | None = None) -> str:
    """Horizontal bars, one per key, with the number written at the end of each bar."""
    labels = labels or {}
    row, left, width = 28, 150, 300
    top = max((t.shown for t in bars.values()), default=0) or 1
    height = row * len(bars) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 120}" height="{height}" '
        f'viewBox="0 0 {left + width + 120} {height}"><title>{escape(title)}</title>'
    ]
    for i, (key, total) in enumerate(bars.items()):
        y = 5 + i * row
        length = round(width * total.shown / top)
        dash = "" if total.complete else ' stroke="#000" stroke-dasharray="4 3"'
        parts.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1a1a1a">'
            f"{escape(labels.get(key, key))}</text>"
            f'<rect x="{left}" y="{y + 4}" width="{max(length, 1)}" height="18" fill="{COLOURS[0]}"{dash}/>'
            f'<text x="{left + max(length, 1) + 6}" y="{y + 17}" font-size="13" fill="#1a1a1a">'
            f"{escape(total.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, series: Mapping[str, Mapping[str, Total]], labels: Mapping[str, str]) -> str:
    """One line per series over the weeks (the keys of each series, in order), with a legend."""
    weeks = list(next(iter(series.values())).keys()) if series else []
    left, top_pad, width, height = 50, 10, 520, 200
    peak = max((t.shown for s in series.values() for t in s.values()), default=0) or 1
    step = width / max(len(weeks) - 1, 1)
    legend_h = 22 * len(series)
    total_h = top_pad + height + 40 + legend_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 30}" height="{total_h}" '
        f'viewBox="0 0 {left + width + 30} {total_h}"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{top_pad + height}" x2="{left + width}" y2="{top_pad + height}" stroke="#1a1a1a"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + height}" stroke="#1a1a1a"/>',
        f'<text x="{left - 6}" y="{top_pad + 5}" text-anchor="end" font-size="12" fill="#1a1a1a">{peak}</text>',
        f'<text x="{left - 6}" y="{top_pad + height}" text-anchor="end" font-size="12" fill="#1a1a1a">0</text>',
    ]
    for i, week in enumerate(weeks):
        if i % 2 == 0 or i == len(weeks) - 1:
            x = left + i * step
            parts.append(
                f'<text x="{x:.0f}" y="{top_pad + height + 18}" text-anchor="middle" font-size="11" '
                f'fill="#1a1a1a">{escape(week[-3:])}</text>'
            )
    for n, (name, points) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        coords = [(left + i * step, top_pad + height - height * points[w].shown / peak) for i, w in enumerate(weeks)]
        dash = "" if n < len(COLOURS) else ' stroke-dasharray="6 3"'
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        parts += [_marker(MARKERS[n % len(MARKERS)], x, y, colour) for x, y in coords]
        ly = top_pad + height + 36 + 22 * n
        parts.append(
            _marker(MARKERS[n % len(MARKERS)], left + 6, ly - 4, colour)
            + f'<text x="{left + 18}" y="{ly}" font-size="13" fill="#1a1a1a">{escape(labels.get(name, name))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if shape == "diamond":
        return f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}" fill="{colour}"/>'
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
