"""Full-text search over names, brands and specs, with typo-tolerant suggestions.

On SQLite the words live in an FTS5 virtual table; on PostgreSQL the same text is matched with
its built-in full-text search. The index is written by `index_products` which the catalog's
services call after every write (no signals: an import or a demo load re-indexes explicitly).
Queries never reach the database as syntax: only word characters survive, each becomes a quoted
prefix term, so "malformed" input cannot break the query parser.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import QuerySet

from lookout.catalog.models import Product

FTS_TABLE = "catalog_product_fts"
MAX_TERMS = 8
MAX_QUERY_LENGTH = 200
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class SearchResult:
    query: str
    products: list[Product]
    corrected: str = ""
    suggestions: list[str] = field(default_factory=list)


def search_document(product: Product) -> str:
    """The text a product is found by: names, brand, category and every spec in words."""
    parts = [
        product.name,
        product.brand,
        product.sku,
        product.category.name,
        product.summary,
        product.resolution_label,
        "4K" if product.resolution == 2160 else "",
        "2K" if product.resolution == 1440 else "",
        product.night_vision,
        product.get_power_display(),
        product.power,
        product.get_storage_display(),
        product.connectivity,
        product.weatherproof,
        product.get_placement_display(),
        product.smart_home,
    ]
    return " ".join(p for p in parts if p)


def create_fts_table(schema_editor=None) -> None:
    """Create the FTS5 table (SQLite only); called by the catalog migration."""
    conn = schema_editor.connection if schema_editor else connection
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "product_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
        )


def index_products(products: Iterable[Product]) -> None:
    """Store each product's search text, and on SQLite mirror it into the FTS5 table."""
    for product in products:
        text = search_document(product)
        if product.search_text != text:
            product.search_text = text
            Product.objects.filter(pk=product.pk).update(search_text=text)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE product_id = %s", [product.pk])  # noqa: S608
                cursor.execute(
                    f"INSERT INTO {FTS_TABLE} (product_id, body) VALUES (%s, %s)",  # noqa: S608
                    [product.pk, text],
                )


def terms(query: str) -> list[str]:
    """The words of a query, lower-cased; everything else (quotes, operators) is dropped."""
    return [w.lower() for w in _WORD.findall(query[:MAX_QUERY_LENGTH])][:MAX_TERMS]


def _matching_ids(words: list[str]) -> list[int]:
    if not words:
        return []
    if connection.vendor == "sqlite":
        match = " ".join(f'"{w}"*' for w in words)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT product_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s ORDER BY rank",  # noqa: S608
                [match],
            )
            return [row[0] for row in cursor.fetchall()]
    raw = " & ".join(f"{w}:*" for w in words)
    return list(
        Product.objects.annotate(doc=SearchVector("search_text", config="simple"))
        .filter(doc=SearchQuery(raw, search_type="raw", config="simple"))
        .values_list("pk", flat=True)
    )


def _vocabulary() -> list[str]:
    words: set[str] = set()
    for text in Product.objects.values_list("search_text", flat=True):
        words.update(w.lower() for w in _WORD.findall(text) if len(w) > 2)
    return sorted(words)


def _correct(words: list[str]) -> str:
    """Replace each unknown word by its closest catalog word (difflib ratio ≥ 0.7)."""
    vocabulary = _vocabulary()
    known = set(vocabulary)
    fixed = []
    for word in words:
        if word in known or any(v.startswith(word) for v in vocabulary):
            fixed.append(word)
            continue
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.7)
        fixed.append(close[0] if close else word)
    return " ".join(fixed)


def suggest(query: str, *, limit: int = 5) -> list[str]:
    """Product names and brands that look like the query: for the "did you mean" list."""
    names = list(Product.objects.values_list("name", flat=True))
    brands = sorted(set(Product.objects.values_list("brand", flat=True)))
    lowered = {c.lower(): c for c in names + brands}
    close = difflib.get_close_matches(query.lower(), list(lowered), n=limit, cutoff=0.5)
    return [lowered[c] for c in close]


def search_products(*, query: str, base: QuerySet[Product] | None = None) -> SearchResult:
    """Products matching every word of `query`, best first; a corrected query on no match."""
    words = terms(query)
    base = base if base is not None else Product.objects.all()
    result = SearchResult(query=" ".join(words), products=[])
    ids = _matching_ids(words)
    if not ids and words:
        corrected = _correct(words)
        if corrected != " ".join(words):
            ids = _matching_ids(corrected.split())
            if ids:
                result.corrected = corrected
    if ids:
        by_id = {p.pk: p for p in base.filter(pk__in=ids).select_related("category")}
        result.products = [by_id[i] for i in ids if i in by_id]
    if not result.products and words:
        result.suggestions = suggest(" ".join(words))
    return result
