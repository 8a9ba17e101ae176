"""Charts drawn on the server as SVG: no script, no CDN, printable, and readable by a screen reader (each
chart has a title and a description, and the page shows the same numbers as a table beside it)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

COLOURS = {"met": "#2e7d32", "open": "#b26a00", "missed": "#c62828"}


@dataclass(frozen=True, kw_only=True)
class Bar:
    label: str
    value: float
    target: float | None = None
    status: str = "open"
    caption: str = ""


def bars(title: str, items: Sequence[Bar], *, unit: str = "", width: int = 640) -> Markup:
    """Horizontal bars, one per item, with its target as a dark tick; colour by status (met, open, missed)."""
    row, label_w, pad = 28, 170, 8
    top = 8
    height = top + row * max(len(items), 1) + pad
    scale_max = max([1.0, *(b.value for b in items), *(b.target or 0 for b in items)])
    plot_w = width - label_w - 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" aria-labelledby="chart-title-{zlib.crc32(title.encode())}">',
             f'<title id="chart-title-{zlib.crc32(title.encode())}">{escape(title)}</title>']
    for i, bar in enumerate(items):
        y = top + i * row
        w = plot_w * bar.value / scale_max
        colour = COLOURS.get(bar.status, "#455a64")
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="13">'
                     f'{escape(bar.label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="18" fill="{colour}">'
                     f'<title>{escape(bar.label)}: {bar.value:g}{escape(unit)}</title></rect>')
        if bar.target is not None:
            tx = label_w + plot_w * bar.target / scale_max
            parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y + 1}" y2="{y + 25}" stroke="#212121" '
                         'stroke-width="2"/>')
        caption = bar.caption or f"{bar.value:g}{unit}" + (f" / {bar.target:g}{unit}" if bar.target is not None
                                                             else "")
        parts.append(f'<text x="{label_w + max(w, 0) + 6 if bar.target is None else width - 84}" y="{y + 17}" '
                     f'font-size="12">{escape(caption)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
