"""Charts drawn on the server as SVG: no chart library, no script, nothing from another origin.
Suppressed figures are drawn as a hatched gap with the word "suppressed", never as a bar."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from lookout.analytics.reports import Suppressed

BAR_HEIGHT = 22
LABEL_WIDTH = 170
WIDTH = 640


def bar_chart(*, title: str, items: Sequence[tuple[str, object]], unit: str = "") -> SafeString:
    """A horizontal bar chart of (label, figure) pairs."""
    numbers = [float(v) for _, v in items if isinstance(v, int | float | Decimal)]
    top = max(numbers, default=0) or 1
    height = BAR_HEIGHT * max(len(items), 1) + 30
    span = WIDTH - LABEL_WIDTH - 90
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} '
        f'{height}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = 10 + i * BAR_HEIGHT
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="#14213d">{escape(str(label)[:28])}</text>'
        )
        if isinstance(value, Suppressed):
            parts.append(
                f'<text x="{LABEL_WIDTH + 4}" y="{y + 15}" font-size="12" fill="#8a4b00">'
                f"{escape(str(value))}</text>"
            )
            continue
        width = max(1, round(float(value) / top * span)) if float(value) else 0  # type: ignore[arg-type]
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width}" height="{BAR_HEIGHT - 6}" '
            f'fill="#0b5cad" rx="3"></rect><text x="{LABEL_WIDTH + width + 6}" y="{y + 15}" '
            f'font-size="12" fill="#14213d">{escape(str(value))}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
