"""Loading a catalog from a CSV or JSON file (`lookout catalog import FILE`).

Why a whole-file check before any write: an operator fixing a price list must never end up
with half of it live (some products at the new price, the rest at the old one) because row 900
had a typo. So every row is parsed and checked first, every problem is reported at once with
its row and column, and only a file without a single problem is written, in one transaction.

Products are matched by SKU: importing the same file twice changes nothing the second time, and
a corrected file updates the products it names. Prices are exact USD cents (C1.2): "19.99" is
taken as it is, "19.999" or "1e3" is refused rather than rounded, and JSON numbers are read as
decimals, never floats. Catalog data describes things for sale, never people: nothing here is
personal (see `personal_data.py`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from lookout.catalog.cache import bump_generation
from lookout.catalog.models import Category, Placement, Power, Product, Storage, Structure
from lookout.catalog.search import index_products
from lookout.core.errors import LookoutError

# Every column a file may have. Required ones must be present and non-empty in every row.
REQUIRED = ("sku", "name", "brand", "category", "price", "stock", "placement")
OPTIONAL = (
    "list_price",  # defaults to price (not on sale)
    "category_name",  # the category's display name, used when the category is new
    "summary",  # one line under the name; defaults to the name
    "description",
    "slug",  # the product page's address; derived from name and SKU when new
    "released_on",  # YYYY-MM-DD; defaults to the day of the import when new
    "resolution",
    "field_of_view",
    "night_vision",
    "power",
    "storage",
    "connectivity",
    "weatherproof",
    "smart_home",
    "hue",
)
COLUMNS = REQUIRED + OPTIONAL
MAX_PRICE = Decimal("9999999999.99")  # MoneyField: 12 digits, 2 after the point
MAX_ROWS = 100_000


class ImportRefused(LookoutError):
    """The file was not imported; `problems` names every row and column that is wrong."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"Nothing was imported: {len(problems)} problem(s) in the file.")


@dataclass
class Row:
    where: str  # "line 4" (CSV) or "item 3" (JSON), for messages
    values: dict[str, Any]
    category_slug: str = ""
    category_name: str = ""
    problems: list[str] = field(default_factory=list)
    bad_columns: set[str] = field(default_factory=set)

    def problem(self, column: str, what: str) -> None:
        self.problems.append(f"{self.where}, column {column}: {what}")
        self.bad_columns.add(column)


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    new_categories: list[str]
    dry_run: bool


def read_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The file's rows as (where, raw values), chosen by its extension (.csv or .json)."""
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportRefused([f"{path}: cannot be read ({error.strerror})."]) from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark from spreadsheet exports is fine
    except UnicodeDecodeError as error:
        raise ImportRefused([f"{path}: not UTF-8 text (byte {error.start})."]) from None
    if suffix == ".csv":
        return _csv_rows(text)
    if suffix == ".json":
        return _json_rows(text)
    raise ImportRefused([f"{path}: the file name must end in .csv or .json."])


def _csv_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused(["The file is empty: the first line must name the columns."]) from None
    names = [name.strip().lower().replace(" ", "_") for name in header]
    _check_header(names)
    rows = []
    line = reader.line_num
    for cells in reader:
        where, line = f"line {line + 1}", reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) != len(names):
            raise ImportRefused(
                [f"{where}: {len(cells)} cells, but the header names {len(names)} columns."]
            )
        rows.append((where, dict(zip(names, cells, strict=True))))
    return rows


def _json_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(text, parse_float=Decimal)  # exact prices, never floats
    except json.JSONDecodeError as error:
        raise ImportRefused([f"Not valid JSON: {error.msg} (line {error.lineno})."]) from None
    if isinstance(data, dict) and isinstance(data.get("products"), list):
        data = data["products"]
    if not isinstance(data, list):
        raise ImportRefused(['The JSON must be a list of products, or {"products": [...]}.'])
    rows = []
    for n, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ImportRefused([f"item {n}: must be an object with the product's columns."])
        names = [str(key).strip().lower().replace(" ", "_") for key in item]
        _check_header(names, where=f"item {n}: ")
        rows.append((f"item {n}", dict(zip(names, item.values(), strict=True))))
    return rows


def _check_header(names: list[str], *, where: str = "") -> None:
    problems = [
        f"{where}unknown column {name!r} (the columns are: {', '.join(COLUMNS)})."
        for name in names
        if name not in COLUMNS
    ]
    problems += [
        f"{where}column {name!r} appears twice." for name in set(names) if names.count(name) > 1
    ]
    if not where:  # a CSV header: every row has the same columns
        problems += [
            f"the required column {name!r} is missing." for name in REQUIRED if name not in names
        ]
    if problems:
        raise ImportRefused(problems)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


def _money(row: Row, column: str) -> Decimal | None:
    raw = _text(row.values.get(column)).removeprefix("$").replace(",", "")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        row.problem(column, f"{raw[:30]!r} is not an amount in dollars, such as 19.99.")
        return None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        row.problem(column, f"{raw[:30]!r} is not exact to the cent (at most two decimals).")
        return None
    if amount <= 0 or amount > MAX_PRICE:
        row.problem(column, f"{raw[:30]!r} must be above 0 and at most {MAX_PRICE}.")
        return None
    return amount.quantize(Decimal("0.01"))


def _whole(row: Row, column: str, *, low: int, high: int) -> int | None:
    raw = _text(row.values.get(column))
    if not raw.isdigit() or not low <= int(raw) <= high:
        row.problem(column, f"{raw[:30]!r} must be a whole number from {low} to {high}.")
        return None
    return int(raw)


def _choice(row: Row, column: str, choices: type[Placement | Power | Storage]) -> str | None:
    raw = _text(row.values.get(column)).lower()
    if raw not in choices.values:
        row.problem(column, f"{raw[:30]!r} must be one of: {', '.join(choices.values)}.")
        return None
    return raw


def _parse(row: Row) -> dict[str, Any]:
    """The row's model fields (only the columns it has); problems are noted on the row."""
    values = row.values
    for column in REQUIRED:
        if not _text(values.get(column)):
            row.problem(column, "required, and empty or missing.")
    fields: dict[str, Any] = {}
    for column in ("sku", "name", "brand", "summary", "description", "slug", "night_vision",
                   "connectivity", "weatherproof", "smart_home"):  # fmt: skip
        if column in values:
            fields[column] = _text(values[column])
    if fields.get("slug") == "":
        del fields["slug"]
    if _text(values.get("category")):
        slug = _text(values["category"]).lower()
        if slugify(slug) != slug:
            row.problem("category", f"{slug[:40]!r} is not a category slug (letters, digits, -).")
        row.category_slug = slug
        row.category_name = _text(values.get("category_name"))
    if _text(values.get("price")):
        fields["price"] = _money(row, "price")
    if _text(values.get("list_price")):
        fields["list_price"] = _money(row, "list_price")
    elif "price" in fields:
        fields["list_price"] = fields["price"]
    price, list_price = fields.get("price"), fields.get("list_price")
    if price is not None and list_price is not None and price > list_price:
        row.problem("price", f"{price} is above the list price {list_price}.")
    if _text(values.get("stock")):
        fields["stock"] = _whole(row, "stock", low=0, high=2_147_483_647)
    for column, high in (("resolution", 32767), ("field_of_view", 360)):
        if column in values:
            fields[column] = (
                _whole(row, column, low=1, high=high) if _text(values[column]) else None
            )
    if _text(values.get("hue")):
        fields["hue"] = _whole(row, "hue", low=0, high=359)
    if _text(values.get("placement")):
        fields["placement"] = _choice(row, "placement", Placement)
    for column, choices in (("power", Power), ("storage", Storage)):
        if _text(values.get(column)):
            fields[column] = _choice(row, column, choices)
        elif column in values:
            fields[column] = choices.NONE
    if _text(values.get("released_on")):
        try:
            fields["released_on"] = date.fromisoformat(_text(values["released_on"]))
        except ValueError:
            row.problem("released_on", f"{_text(values['released_on'])[:30]!r} is not a date "
                        "written YYYY-MM-DD.")  # fmt: skip
    return fields


def _check_with_model(row: Row, product: Product) -> None:
    """The model's own rules (lengths, choices, blank) for the columns this file sets."""
    try:
        product.full_clean(exclude=["category", "works_with"], validate_unique=False,
                           validate_constraints=False)  # fmt: skip
    except ValidationError as error:
        # A column already reported (or a summary taken from a bad name) is not said twice.
        skip = row.bad_columns | ({"summary"} if "name" in row.bad_columns else set())
        for name, messages in error.message_dict.items():
            if name not in skip:
                row.problem(name, " ".join(messages))


def import_catalog(path: Path, *, dry_run: bool = False) -> ImportResult:
    """Check every row of the file, then (unless `dry_run`) create or update its products.

    Raises `ImportRefused` listing every problem; nothing is written then."""
    raw_rows = read_rows(path)
    if not raw_rows:
        raise ImportRefused(["The file holds no products."])
    if len(raw_rows) > MAX_ROWS:
        raise ImportRefused([f"{len(raw_rows)} rows: split the file (at most {MAX_ROWS})."])
    rows = [Row(where=where, values=values) for where, values in raw_rows]
    parsed = [_parse(row) for row in rows]

    skus = [fields.get("sku", "") for fields in parsed]
    existing = {p.sku: p for p in Product.objects.filter(sku__in=[s for s in skus if s])}
    categories = {c.slug: c for c in Category.objects.all()}
    seen_sku: dict[str, str] = {}
    seen_slug: dict[str, str] = {}
    today = timezone.localdate()
    products: list[tuple[Product, bool, bool]] = []  # (product, is new, changed)
    for row, fields in zip(rows, parsed, strict=True):
        sku = fields.get("sku", "")
        if sku in seen_sku:
            row.problem("sku", f"{sku!r} is already on {seen_sku[sku]}.")
            products.append((Product(sku=sku), False, False))  # refused: never written
            continue
        seen_sku[sku] = row.where
        product = existing.get(sku)
        if product is not None and product.structure != Structure.STANDALONE:
            # Variants and the products they belong to are kept together in the admin (0046).
            row.problem(
                "sku",
                f"{sku!r} is a product with variants or one of them: change it in the admin.",
            )
            products.append((Product(sku=sku), False, False))  # refused: never written
            continue
        is_new = product is None
        if product is None:
            product = Product(sku=sku, released_on=today)
            fields.setdefault("slug", slugify(f"{fields.get('name', '')} {sku}")[:120])
            fields.setdefault("summary", "")
        if fields.get("summary") == "":  # one line under the name: the name itself at least
            fields["summary"] = fields.get("name") or product.name
        before = {name: getattr(product, name) for name in fields}
        before_category = None if is_new else product.category_id
        for name, value in fields.items():
            if value is not None or name in ("resolution", "field_of_view"):
                setattr(product, name, value)
        if product.slug in seen_slug:
            row.problem("slug", f"{product.slug!r} is already on {seen_slug[product.slug]}.")
        seen_slug.setdefault(product.slug, row.where)
        _check_with_model(row, product)
        category = categories.get(row.category_slug)
        changed = (
            is_new
            or before != {name: getattr(product, name) for name in fields}
            or category is None
            or before_category != category.pk
        )
        products.append((product, is_new, changed))
    # A slug (the product page's address) another SKU already has, outside this file.
    taken = dict(
        Product.objects.filter(slug__in=list(seen_slug)).exclude(sku__in=list(seen_sku))
        .values_list("slug", "sku")
    )  # fmt: skip
    for row, (product, _, _) in zip(rows, products, strict=True):
        if product.slug in taken:
            row.problem(
                "slug", f"{product.slug!r} is the address of product {taken[product.slug]}."
            )

    problems = [problem for row in rows for problem in row.problems]
    if problems:
        raise ImportRefused(problems)

    # New categories are listed in the order the file first names them.
    new_categories = list(
        dict.fromkeys(r.category_slug for r in rows if r.category_slug not in categories)
    )
    created = [p.sku for p, is_new, _ in products if is_new]
    updated = [p.sku for p, is_new, changed in products if changed and not is_new]
    unchanged = [p.sku for p, is_new, changed in products if not changed and not is_new]
    result = ImportResult(created, updated, unchanged, new_categories, dry_run)
    if dry_run:
        return result

    with transaction.atomic():
        names = {row.category_slug: row.category_name for row in rows if row.category_name}
        start = len(categories)
        for position, slug in enumerate(new_categories, start=start):
            name = names.get(slug) or slug.replace("-", " ").capitalize()
            categories[slug] = Category.objects.create(slug=slug, name=name, position=position)
        for slug, name in names.items():
            if slug not in new_categories and categories[slug].name != name:
                categories[slug].name = name
                categories[slug].save(update_fields=["name"])
        touched = []
        for (product, _, changed), row in zip(products, rows, strict=True):
            if not changed:
                continue
            product.category = categories[row.category_slug]
            product.save()
            touched.append(product)
        if touched:
            index_products(touched)
        if touched or new_categories:
            bump_generation()
    return result
