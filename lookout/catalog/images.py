# ruff: noqa: E501  (SVG path data reads better unwrapped)
"""Product pictures drawn by the project: one SVG per category, tinted per product.

Nothing is downloaded and nothing is stored: the drawing is a pure function of the category
and the product's hue, so it is cacheable forever and identical on every install. Only
presentation attributes are used (no style=""), so the strict CSP holds inside the SVG too.
"""

from __future__ import annotations

from django.utils.html import escape

_SHAPES = {
    "indoor-cameras": (
        '<rect x="70" y="150" width="60" height="14" rx="7" fill="{dark}"/>'
        '<rect x="92" y="118" width="16" height="36" fill="{dark}"/>'
        '<rect x="52" y="52" width="96" height="76" rx="22" fill="#fff"/>'
        '<circle cx="100" cy="90" r="26" fill="{dark}"/><circle cx="100" cy="90" r="13" fill="{mid}"/>'
        '<circle cx="94" cy="84" r="4" fill="#fff"/>'
    ),
    "outdoor-cameras": (
        '<rect x="40" y="40" width="16" height="60" rx="4" fill="{dark}"/>'
        '<rect x="48" y="66" width="40" height="10" fill="{dark}"/>'
        '<rect x="70" y="58" width="100" height="52" rx="14" fill="#fff" transform="rotate(12 120 84)"/>'
        '<circle cx="160" cy="98" r="18" fill="{dark}"/><circle cx="160" cy="98" r="8" fill="{mid}"/>'
    ),
    "video-doorbells": (
        '<rect x="70" y="30" width="60" height="140" rx="30" fill="#fff"/>'
        '<circle cx="100" cy="70" r="18" fill="{dark}"/><circle cx="100" cy="70" r="8" fill="{mid}"/>'
        '<circle cx="100" cy="132" r="16" fill="none" stroke="{dark}" stroke-width="5"/>'
    ),
    "floodlight-cameras": (
        '<rect x="90" y="30" width="20" height="40" fill="{dark}"/>'
        '<rect x="36" y="64" width="56" height="34" rx="8" fill="#fff"/>'
        '<rect x="108" y="64" width="56" height="34" rx="8" fill="#fff"/>'
        '<path d="M40 104 L20 160 M64 104 L64 168 M136 104 L136 168 M160 104 L180 160" '
        'stroke="#fff" stroke-width="4" stroke-linecap="round" opacity="0.6"/>'
        '<circle cx="100" cy="116" r="16" fill="{dark}"/><circle cx="100" cy="116" r="7" fill="{mid}"/>'
    ),
    "smart-locks": (
        '<rect x="62" y="40" width="76" height="120" rx="16" fill="#fff"/>'
        '<circle cx="100" cy="84" r="22" fill="{dark}"/>'
        '<rect x="94" y="76" width="12" height="30" rx="4" fill="#fff"/>'
        '<g fill="{mid}"><circle cx="84" cy="128" r="5"/><circle cx="100" cy="128" r="5"/>'
        '<circle cx="116" cy="128" r="5"/><circle cx="84" cy="144" r="5"/>'
        '<circle cx="100" cy="144" r="5"/><circle cx="116" cy="144" r="5"/></g>'
    ),
    "sensors-and-alarms": (
        '<rect x="50" y="60" width="64" height="90" rx="12" fill="#fff"/>'
        '<rect x="122" y="60" width="26" height="90" rx="8" fill="#fff"/>'
        '<circle cx="82" cy="90" r="10" fill="{dark}"/>'
        '<path d="M150 40 q18 20 0 40 M162 30 q28 30 0 60" stroke="#fff" stroke-width="5" '
        'fill="none" stroke-linecap="round"/>'
    ),
    "hubs-and-storage": (
        '<rect x="40" y="80" width="120" height="60" rx="14" fill="#fff"/>'
        '<circle cx="64" cy="110" r="6" fill="{mid}"/><circle cx="84" cy="110" r="6" fill="{dark}"/>'
        '<rect x="104" y="104" width="40" height="12" rx="6" fill="{dark}"/>'
        '<path d="M80 66 q20 -20 40 0 M70 54 q30 -32 60 0" stroke="#fff" stroke-width="5" '
        'fill="none" stroke-linecap="round"/>'
    ),
    "accessories": (
        '<rect x="40" y="60" width="120" height="80" rx="6" fill="#fff" transform="skewX(-12)"/>'
        '<g stroke="{dark}" stroke-width="3"><path d="M46 86 H150 M40 112 H146"/>'
        '<path d="M74 60 L58 140 M108 60 L92 140 M142 60 L126 140"/></g>'
    ),
}


def product_svg(*, category_slug: str, hue: int, label: str) -> str:
    shape = _SHAPES.get(category_slug, _SHAPES["accessories"])
    dark = f"hsl({hue % 360} 45% 28%)"
    mid = f"hsl({(hue + 30) % 360} 70% 62%)"
    body = shape.format(dark=dark, mid=mid)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" role="img" '
        f'aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue % 360} 60% 55%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 40) % 360} 55% 38%)"/>'
        "</linearGradient></defs>"
        f'<rect width="200" height="200" fill="url(#g)"/>{body}</svg>'
    )
