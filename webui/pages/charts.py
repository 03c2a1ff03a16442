"""Small inline SVG charts for the scorecard and the planner: no chart library, no network.

Every function returns SVG markup (``markupsafe.Markup``) sized by ``viewBox`` so it scales to
its container; labels are escaped.
"""

from __future__ import annotations

from typing import Sequence

from markupsafe import Markup, escape

# Route colours: distinct on a light map, readable as text on white.
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#393b79", "#637939", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, unit: str = "", colours: Sequence[str] | None = None,
              width: int = 320, bar_h: int = 16) -> Markup:
    """Horizontal bars, one per ``(label, value)``, labelled with the value."""
    items = list(items)
    # Room for the longest label at about 5.5 px a character, within half the width.
    label_w = int(min(width / 2, max(40, 5.5 * max((len(str(label)) for label, _ in items), default=0) + 6)))
    gap, pad = 5, 4
    height = pad * 2 + 18 + len(items) * (bar_h + gap)
    top = max((v for _, v in items), default=0) or 1
    plot_w = width - label_w - 60
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="13" class="chart-title">{escape(title)}</text>',
    ]
    for k, (label, value) in enumerate(items):
        y = 18 + pad + k * (bar_h + gap)
        w = max(0.0, value / top * plot_w)
        fill = colours[k % len(colours)] if colours else "#4a78b0"
        parts.append(f'<text x="{label_w - 4}" y="{y + bar_h - 4}" text-anchor="end" class="chart-label">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="2" fill="{fill}"><title>{escape(label)}: {_fmt(value)} {escape(unit)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" class="chart-value">{_fmt(value)} {escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(items: Sequence[tuple[str, float]], *, title: str, unit: str = "", width: int = 320) -> Markup:
    """One bar split into parts (e.g. the cost split), with a legend showing each part's share."""
    items = [(label, max(0.0, v)) for label, v in items]
    total = sum(v for _, v in items) or 1.0
    colours = ("#4a78b0", "#e08a2c", "#7a9a3a", "#9b59b6")
    height = 18 + 22 + 16 * len(items) + 6
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="13" class="chart-title">{escape(title)}</text>',
    ]
    x = 0.0
    for k, (label, value) in enumerate(items):
        w = value / total * width
        parts.append(f'<rect x="{x:.1f}" y="18" width="{w:.1f}" height="16" fill="{colours[k % len(colours)]}"><title>{escape(label)}: {_fmt(value)} {escape(unit)}</title></rect>')
        x += w
    for k, (label, value) in enumerate(items):
        y = 18 + 22 + 16 * k
        parts.append(f'<rect x="0" y="{y}" width="10" height="10" fill="{colours[k % len(colours)]}"/>')
        parts.append(f'<text x="14" y="{y + 9}" class="chart-label">{escape(label)}: {_fmt(value)} {escape(unit)} ({value / total:.0%})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def gauge(share: float, *, title: str, width: int = 320) -> Markup:
    """A share in [0, 1] as a filled bar with its percentage (green at 95 % and above)."""
    share = min(1.0, max(0.0, share))
    fill = "#2e8b57" if share >= 0.95 else "#e0a32c" if share >= 0.8 else "#c0392b"
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} 40" role="img" aria-label="{escape(title)}">'
        f'<text x="0" y="13" class="chart-title">{escape(title)}</text>'
        f'<rect x="0" y="18" width="{width - 60}" height="16" rx="3" fill="#e6e6e6"/>'
        f'<rect x="0" y="18" width="{share * (width - 60):.1f}" height="16" rx="3" fill="{fill}"/>'
        f'<text x="{width - 55}" y="31" class="chart-value">{share:.1%}</text></svg>'
    )


def line_chart(series: Sequence[tuple[str, Sequence[float]]], labels: Sequence[str], *, title: str, unit: str = "",
               width: int = 360, height: int = 150) -> Markup:
    """Lines over shared x labels (e.g. dates or scenarios); each series its own colour."""
    left, bottom, top_pad = 44, 20, 22
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    values = [v for _, vs in series for v in vs]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    n = max(1, len(labels) - 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="13" class="chart-title">{escape(title)}</text>',
        f'<text x="{left - 4}" y="{top_pad + 8}" text-anchor="end" class="chart-label">{_fmt(hi)}</text>',
        f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end" class="chart-label">{_fmt(lo)}</text>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" stroke="#999"/>',
    ]
    for k, (name, vs) in enumerate(series):
        pts = [(left + (i / n) * plot_w if len(labels) > 1 else left + plot_w / 2,
                top_pad + plot_h - (v - lo) / (hi - lo) * plot_h) for i, v in enumerate(vs)]
        c = colour(k)
        if len(pts) > 1:
            parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}"/>')
        for (x, y), v in zip(pts, vs):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"><title>{escape(name)}: {_fmt(v)} {escape(unit)}</title></circle>')
        # The legend sits on the title line; the bottom line is for the x labels.
        parts.append(f'<text x="{width - 8 - 70 * (len(series) - 1 - k)}" y="13" text-anchor="end" class="chart-label" style="fill:{c}">{escape(name)}</text>')
    if labels:
        ends = [(0, labels[0], "start" if len(labels) > 1 else "middle")] + ([(len(labels) - 1, labels[-1], "end")] if len(labels) > 1 else [])
        for i, text, anchor in ends:
            x = left + (i / n) * plot_w if len(labels) > 1 else left + plot_w / 2
            parts.append(f'<text x="{x:.1f}" y="{height - 4}" text-anchor="{anchor}" class="chart-label">{escape(str(text))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
