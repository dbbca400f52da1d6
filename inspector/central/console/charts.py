"""Charts drawn on the server as inline SVG (no script, no external file): horizontal bars, each
bar a link to the inspections behind it, with a text label and value for screen readers."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
ROW = 26
LABEL = 250
PALETTE = ("#1f5f99", "#c4661f", "#8a2b2b", "#3f7f3f")


@dataclass(frozen=True)
class Segment:
    value: int
    label: str
    color: str


@dataclass(frozen=True)
class BarRow:
    label: str
    segments: tuple[Segment, ...]
    href: str = ""
    indent: int = 0

    @property
    def total(self) -> int:
        return sum(s.value for s in self.segments)


def bars(rows: list[BarRow], title: str) -> Markup:
    """One SVG: a row per entry (label, stacked segments, total); empty: a sentence instead."""
    if not rows:
        return Markup('<p class="empty">Chưa có số liệu trong kỳ này.</p>')
    top = max(r.total for r in rows) or 1
    scale = (WIDTH - LABEL - 60) / top
    height = ROW * len(rows) + 8
    out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}"'
           f' width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]
    for n, row in enumerate(rows):
        y = 4 + n * ROW
        label = row.label if len(row.label) <= 38 else row.label[:37] + "…"
        parts = [f'<text x="{4 + 12 * row.indent}" y="{y + 17}" class="label">{escape(label)}</text>']
        x = float(LABEL)
        for seg in row.segments:
            w = seg.value * scale
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{ROW - 8}"'
                             f' fill="{seg.color}"><title>{escape(seg.label)}: {seg.value}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 17}" class="value">{row.total}</text>')
        body = "".join(parts)
        if row.href:
            out.append(f'<a href="{escape(row.href)}" aria-label="{escape(row.label)}: {row.total}">{body}</a>')
        else:
            out.append(f"<g>{body}</g>")
    out.append("</svg>")
    return Markup("".join(out))


def legend(labels: list[str], first: int = 0) -> Markup:
    """Labels of the segments in PALETTE order (colours from the style sheet: no inline style under the CSP)."""
    cells = "".join(f'<li><span class="swatch swatch-{n}"></span>{escape(label)}</li>'
                    for n, label in enumerate(labels, start=first))
    return Markup(f'<ul class="legend">{cells}</ul>')
