"""The demo catalog: 68 products across every category, the same on every run.

`load` is idempotent (products are matched by SKU) and deterministic (a seeded generator), so
`lookout demo` can run on every `make run`. Product pictures are drawn by `images.py`; nothing
is downloaded. The brands are invented. A few products also get photos, drawn here with Pillow
and stored through `photos` like an upload (`PHOTO_PRODUCTS`); the rest keep their drawing.
A few products come in variants (`VARIANT_PRODUCTS`: colours, pack sizes, both), each variant
with its own SKU, prices, stock and drawing colour.
"""

from __future__ import annotations

import colorsys
import functools
import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageOps

from lookout.catalog import photos
from lookout.catalog.models import Placement, Power, Product, Storage, Structure
from lookout.catalog.services import (
    set_works_with,
    upsert_category,
    upsert_product,
    upsert_variant,
)

SEED = 20240611
BRANDS = ["Kestrel", "Nightjar", "Harborline", "Brightwatch", "Owlet Vision", "Sentrix"]
SMART_HOME = ["Alexa", "Google Home", "HomeKit", "SmartThings", "Home Assistant", "Matter"]
CATEGORIES = [
    ("indoor-cameras", "Indoor cameras", "Keep an eye on pets, kids and the front room."),
    ("outdoor-cameras", "Outdoor cameras", "Weatherproof cameras for gardens and driveways."),
    ("video-doorbells", "Video doorbells", "See who is at the door from anywhere."),
    ("floodlight-cameras", "Floodlight cameras", "Bright light and a camera in one."),
    ("smart-locks", "Smart locks", "Keyless entry that works with your phone."),
    ("sensors-and-alarms", "Sensors and alarms", "Door, motion, smoke and leak sensors."),
    ("hubs-and-storage", "Hubs and storage", "Keep recordings at home, not in someone's cloud."),
    ("accessories", "Accessories", "Mounts, solar panels, batteries and cards that fit."),
]
LINES = {
    "indoor-cameras": ["Pan", "Mini", "Nest", "View", "Cube"],
    "outdoor-cameras": ["Bullet", "Turret", "Ranger", "Solar", "Spot"],
    "video-doorbells": ["Doorbell", "Doorbell Pro", "Doorbell Wire"],
    "floodlight-cameras": ["Floodlight", "Beam", "Flare"],
    "smart-locks": ["Lock", "Bolt", "Latch"],
    "sensors-and-alarms": ["Contact Sensor", "Motion Sensor", "Siren", "Leak Sensor", "Keypad"],
    "hubs-and-storage": ["Home Hub", "Vault NVR", "Base Station"],
    "accessories": [
        "Solar Panel",
        "Wall Mount",
        "Rechargeable Battery",
        "microSD Card 128 GB",
        "Weatherproof Cable",
        "Chime",
    ],
}
PER_CATEGORY = {"indoor-cameras": 10, "outdoor-cameras": 10, "accessories": 10}
PRICE_BANDS = {
    "indoor-cameras": (25, 140),
    "outdoor-cameras": (45, 260),
    "video-doorbells": (45, 220),
    "floodlight-cameras": (90, 280),
    "smart-locks": (80, 260),
    "sensors-and-alarms": (15, 90),
    "hubs-and-storage": (60, 320),
    "accessories": (9, 70),
}
CAMERA_CATEGORIES = {"indoor-cameras", "outdoor-cameras", "video-doorbells", "floodlight-cameras"}


def _price(rng: random.Random, low: int, high: int) -> tuple[Decimal, Decimal]:
    """A list price ending in .99 and a discount of 0-45 % (a fifth of products full price)."""
    list_price = Decimal(rng.randint(low, high)) + Decimal("0.99")
    percent = 0 if rng.random() < 0.2 else rng.choice([10, 15, 20, 25, 30, 35, 40, 45])
    price = (list_price * (100 - percent) / 100).quantize(Decimal(1)) - Decimal("0.01")
    price = max(min(price, list_price), Decimal("4.99"))
    return list_price, price


def _camera_specs(rng: random.Random, slug: str) -> dict:
    outdoor = slug != "indoor-cameras"
    power_choices = {
        "indoor-cameras": [Power.PLUG_IN, Power.PLUG_IN, Power.BATTERY],
        "outdoor-cameras": [Power.BATTERY, Power.SOLAR, Power.POE, Power.WIRED],
        "video-doorbells": [Power.WIRED, Power.BATTERY],
        "floodlight-cameras": [Power.WIRED, Power.SOLAR],
    }[slug]
    return {
        "resolution": rng.choice([1080, 1440, 1440, 2160]),
        "field_of_view": rng.choice([110, 125, 130, 140, 160, 180]),
        "night_vision": rng.choice(
            ["Infrared, 10 m", "Colour night vision", "Infrared, 15 m", "Starlight sensor"]
        ),
        "power": rng.choice(power_choices),
        "storage": rng.choice([Storage.LOCAL, Storage.BOTH, Storage.CLOUD]),
        "connectivity": rng.choice(["Wi-Fi 2.4 GHz", "Wi-Fi 2.4/5 GHz", "Wi-Fi 6", "Ethernet"]),
        "weatherproof": rng.choice(["IP65", "IP66", "IP67"]) if outdoor else "",
        "placement": Placement.OUTDOOR
        if slug in {"outdoor-cameras", "floodlight-cameras", "video-doorbells"}
        else Placement.INDOOR,
    }


def _device_specs(rng: random.Random, slug: str) -> dict:
    return {
        "power": {
            "smart-locks": Power.BATTERY,
            "sensors-and-alarms": Power.BATTERY,
            "hubs-and-storage": Power.PLUG_IN,
            "accessories": Power.NONE,
        }[slug],
        "storage": Storage.LOCAL if slug == "hubs-and-storage" else Storage.NONE,
        "connectivity": rng.choice(["Zigbee", "Z-Wave", "Thread", "Wi-Fi 2.4 GHz", "Bluetooth"])
        if slug != "accessories"
        else "",
        "weatherproof": rng.choice(["", "IP54", "IP65"]),
        "placement": rng.choice([Placement.INDOOR, Placement.BOTH])
        if slug != "accessories"
        else Placement.BOTH,
    }


def load(*, progress: Callable[[str], None]) -> None:
    """Create or refresh the demo catalog; running it twice leaves the same catalog."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    with transaction.atomic():
        products_by_category: dict[str, list[Product]] = {}
        for position, (slug, name, tagline) in enumerate(CATEGORIES):
            category = upsert_category(slug=slug, name=name, tagline=tagline, position=position)
            made = []
            count = PER_CATEGORY.get(slug, 7)
            for n in range(count):
                brand = BRANDS[(n + position) % len(BRANDS)]
                line = LINES[slug][n % len(LINES[slug])]
                model = f"{rng.choice(['S', 'X', 'E', 'Pro ', 'Go '])}{rng.randint(2, 9)}"
                product_name = f"{brand} {line} {model}".replace("  ", " ")
                sku = f"LK-{position + 1}{n:02d}-{slugify(brand)[:3].upper()}"
                list_price, price = _price(rng, *PRICE_BANDS[slug])
                specs = (
                    _camera_specs(rng, slug)
                    if slug in CAMERA_CATEGORIES
                    else _device_specs(rng, slug)
                )
                smart = rng.sample(SMART_HOME, k=rng.randint(1, 3))
                made.append(
                    upsert_product(
                        sku=sku,
                        slug=slugify(f"{product_name} {sku}"),
                        name=product_name,
                        brand=brand,
                        category=category,
                        summary=f"{name[:-1] if name.endswith('s') else name} by {brand}: "
                        f"{tagline[0].lower()}{tagline[1:]}",
                        description=(
                            f"The {product_name} is a value pick from {brand}. It works without a "
                            "subscription; an optional cloud plan is never required."
                        ),
                        list_price=list_price,
                        price=price,
                        stock=0 if rng.random() < 0.1 else rng.randint(3, 120),
                        released_on=date(2024, 1, 1) + timedelta(days=rng.randint(0, 540)),
                        smart_home=", ".join(smart),
                        hue=(position * 45 + n * 7) % 360,
                        **{"resolution": None, "field_of_view": None, "night_vision": "", **specs},
                    )
                )
            products_by_category[slug] = made
            progress(f"{name}: {len(made)} products")
        cameras = [p for s in CAMERA_CATEGORIES for p in products_by_category[s]]
        cameras.sort(key=lambda p: p.sku)
        for accessory in products_by_category["accessories"]:
            set_works_with(accessory=accessory, devices=rng.sample(cameras, k=4))
        progress(f"Linked {len(products_by_category['accessories'])} accessories to cameras")
        made_photos = load_photos(products_by_category)
        progress(f"Photos for {made_photos} products")
        made_variants = load_variants(products_by_category)
        progress(f"Variants for {made_variants} products")
        if load_variant_photos(products_by_category):
            progress("Photos of a product with variants and of each of its colours")


# Products that come in variants: (category, index in it) -> options, each value with its SKU
# suffix, its price factor (of the product's prices) and its drawing's hue (None: the
# product's). Every combination of the options is a variant.
VARIANT_PRODUCTS: dict[
    tuple[str, int], list[tuple[str, list[tuple[str, str, str, int | None]]]]
] = {
    ("video-doorbells", 1): [
        (
            "Colour",
            [
                ("Black", "BLK", "1", 225),
                ("White", "WHT", "1", 200),
                ("Satin nickel", "NKL", "1.1", 40),
            ],
        )
    ],
    ("indoor-cameras", 6): [
        (
            "Pack",
            [
                ("Single", "1", "1", None),
                ("2-pack", "2", "1.8", None),
                ("4-pack", "4", "3.4", None),
            ],
        )
    ],
    ("outdoor-cameras", 2): [
        ("Colour", [("White", "W", "1", 190), ("Black", "B", "1", 230)]),
        ("Pack", [("Single", "1", "1", None), ("2-pack", "2", "1.85", None)]),
    ],
}


def _scaled(amount: Decimal, factor: str) -> Decimal:
    """The price times `factor`, ending in .99 like the others (never below 4.99)."""
    if factor == "1":
        return amount
    return max((amount * Decimal(factor)).quantize(Decimal(1)) - Decimal("0.01"), Decimal("4.99"))


def load_variants(products_by_category: dict[str, list[Product]]) -> int:
    """Variants for VARIANT_PRODUCTS: every combination of their options, with stock drawn
    from its own seeded generator (so the rest of the catalog is the same with or without)."""
    rng = random.Random(SEED + 1)  # noqa: S311 - demo data, not security
    for (slug, index), options in VARIANT_PRODUCTS.items():
        product = products_by_category[slug][index]
        combinations: list[list[tuple[str, str, str, str, int | None]]] = [[]]
        for name, values in options:
            combinations = [
                [*combo, (name, value, code, factor, hue)]
                for combo in combinations
                for value, code, factor, hue in values
            ]
        for combo in combinations:
            factor = str(
                functools.reduce(lambda a, b: a * b, (Decimal(c[3]) for c in combo), Decimal(1))
            )
            hues = [c[4] for c in combo if c[4] is not None]
            list_price = _scaled(product.list_price, factor)
            upsert_variant(
                parent=product,
                sku="-".join([product.sku, *(c[2] for c in combo)]),
                options=[[c[0], c[1]] for c in combo],
                list_price=list_price,
                price=min(_scaled(product.price, factor), list_price),
                stock=0 if rng.random() < 0.15 else rng.randint(2, 40),
                hue=hues[0] if hues else None,
            )
    return len(VARIANT_PRODUCTS)


# The first product of each camera category has photos: the first one two (front and side).
PHOTO_PRODUCTS = {"indoor-cameras": 2, "outdoor-cameras": 1, "video-doorbells": 1}
PHOTO_SIZE = (720, 540)


def _rgb(hue: int, saturation: float, lightness: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb((hue % 360) / 360, lightness, saturation)
    return round(r * 255), round(g * 255), round(b * 255)


def _draw(slug: str, hue: int, view: int, colour: str = "white") -> bytes:
    """A studio-style picture of a camera as a JPEG: a soft backdrop, the device (a doorbell's
    body in `colour`, a colour Pillow knows), a shadow."""
    width, height = PHOTO_SIZE
    backdrop = ImageOps.colorize(
        Image.linear_gradient("L").resize((width, height)),
        _rgb(hue, 0.35, 0.92),
        _rgb(hue + 20, 0.30, 0.70),
    )
    draw = ImageDraw.Draw(backdrop)
    dark, accent = _rgb(hue, 0.45, 0.22), _rgb(hue + 30, 0.70, 0.60)
    cx, cy = width // 2, height // 2
    draw.ellipse((cx - 170, cy + 150, cx + 170, cy + 185), fill=_rgb(hue, 0.2, 0.6))
    if slug == "video-doorbells":
        draw.rounded_rectangle((cx - 70, cy - 200, cx + 70, cy + 160), 70, fill=colour)
        draw.ellipse((cx - 42, cy - 130, cx + 42, cy - 46), fill=dark)
        draw.ellipse((cx - 18, cy - 106, cx + 18, cy - 70), fill=accent)
        draw.ellipse((cx - 38, cy + 40, cx + 38, cy + 116), outline=dark, width=10)
    elif not view:  # from the front: the lens looks at you
        draw.rectangle((cx - 20, cy + 100, cx + 20, cy + 150), fill=dark)
        body = (cx - 150, cy - 110, cx + 150, cy + 110)
        draw.rounded_rectangle(body, 50, fill="white", outline=_rgb(hue, 0.1, 0.8), width=4)
        draw.ellipse((cx - 70, cy - 70, cx + 70, cy + 70), fill=dark)
        draw.ellipse((cx - 34, cy - 34, cx + 34, cy + 34), fill=accent)
        draw.ellipse((cx - 22, cy - 26, cx - 8, cy - 12), fill="white")
    else:  # from the side: a deeper body, the lens barrel sticking out to the right
        draw.rectangle((cx - 70, cy + 80, cx - 30, cy + 150), fill=dark)
        body = (cx - 190, cy - 90, cx + 60, cy + 90)
        draw.rounded_rectangle(body, 45, fill="white", outline=_rgb(hue, 0.1, 0.8), width=4)
        draw.rectangle((cx + 60, cy - 55, cx + 120, cy + 55), fill=dark)
        draw.ellipse((cx + 100, cy - 55, cx + 140, cy + 55), fill=accent)
    if slug == "outdoor-cameras":  # the rain hood
        draw.rounded_rectangle((cx - 170, cy - 150, cx + 170, cy - 100), 20, fill=dark)
    out = BytesIO()
    backdrop.save(out, "JPEG", quality=90)
    return out.getvalue()


@functools.cache
def _prepared(slug: str, hue: int, view: int, body: str = "white") -> photos.PreparedPhoto:
    """Drawn and rendered once per process: the demo runs in many tests."""
    return photos.prepare(BytesIO(_draw(slug, hue, view, body)))


def load_photos(products_by_category: dict[str, list[Product]]) -> int:
    """Photos for the first products of PHOTO_PRODUCTS' categories, unless they have some."""
    count = 0
    for slug, views in PHOTO_PRODUCTS.items():
        product = products_by_category[slug][0]
        if product.photos.exists():
            continue
        for view in range(views):
            side = "from the side" if view else "from the front"
            photos.save_photo(
                product=product,
                prepared=_prepared(slug, product.hue, view),
                alt_text=f"The {product.name}, white with a dark lens, {side}",
                position=view,
            )
        count += 1
    return count


# The doorbell in colours (VARIANT_PRODUCTS) has a photo of the product and one of each colour,
# shown first on that colour's page: the storefront's and the page benchmark's product with
# variants, photos and (reviews.demo) ratings.
SHOWCASE = ("video-doorbells", 1)
BODY_COLOURS = {"Black": "#26282c", "White": "white", "Satin nickel": "#b4b1a6"}


def showcase() -> Product | None:
    """The demo's product with variants and photos of each variant (None before the demo)."""
    slug, index = SHOWCASE
    rows = Product.objects.filter(category__slug=slug).exclude(structure=Structure.CHILD)
    found = list(rows.order_by("sku")[index : index + 1])
    return found[0] if found and found[0].is_parent else None


def load_variant_photos(products_by_category: dict[str, list[Product]]) -> int:
    """Photos of the SHOWCASE product and of each of its variants, unless it has some."""
    slug, index = SHOWCASE
    product = products_by_category[slug][index]
    if product.photos.exists():
        return 0
    photos.save_photo(
        product=product,
        prepared=_prepared(slug, product.hue, 0),
        alt_text=f"The {product.name}, a slim doorbell with a round lens and button",
        position=0,
    )
    for variant in product.variants.order_by("pk"):
        colour = str(dict(variant.options).get("Colour", ""))
        photos.save_photo(
            product=product,
            variant=variant,
            prepared=_prepared(slug, variant.hue, 0, BODY_COLOURS.get(colour, "white")),
            alt_text=f"The {product.name} in {colour.lower()}, from the front",
            position=0,
        )
    return 1
