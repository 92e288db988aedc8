"""Full-text search over names, brands and specs, with typo-tolerant suggestions.

On SQLite the words live in an FTS5 virtual table; on PostgreSQL the same text is matched with
its built-in full-text search, through a stored vector column that PostgreSQL generates from
`search_text` (migration 0004). The text is written by `index_products` which the catalog's
services call after every write (no signals: an import or a demo load re-indexes explicitly).
Queries never reach the database as syntax: only word characters survive, each becomes a quoted
prefix term, so "malformed" input cannot break the query parser.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from rapidfuzz import fuzz, process

from lookout.catalog.models import Product, Structure

FTS_TABLE = "catalog_product_fts"
MAX_TERMS = 8
MAX_QUERY_LENGTH = 200
PER_PAGE = 24
MAX_PER_PAGE = 100
COUNT_CAP = 1000
MAX_PAGE = 1000  # deeper pages cost an ever larger OFFSET and nobody reads them
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class SearchResult:
    query: str
    products: list[Product]
    corrected: str = ""
    suggestions: list[str] = field(default_factory=list)
    total: int = 0  # matches in all, over every page, at most COUNT_CAP
    total_capped: bool = False  # more than COUNT_CAP match
    page: int = 1
    per_page: int = 24

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.total_capped and len(self.products) == self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def search_document(product: Product) -> str:
    """The text a product is found by: names, brand, category and every spec in words; a
    parent also by its variants' SKUs and option values, so a variant's SKU finds its page.
    A variant itself is not indexed (it is found through its parent): its text is empty."""
    if product.structure == Structure.CHILD:
        return ""
    variants: list[str] = []
    if product.structure == Structure.PARENT:
        for sku, options in Product.objects.filter(parent=product).values_list("sku", "options"):
            variants.append(sku)
            variants.extend(str(value) for _name, value in options or [])
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
        *dict.fromkeys(variants),
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
                if not text:  # a variant: found through its parent
                    continue
                cursor.execute(
                    f"INSERT INTO {FTS_TABLE} (product_id, body) VALUES (%s, %s)",  # noqa: S608
                    [product.pk, text],
                )
    forget_words()


def unindex_products(ids: Iterable[int]) -> None:
    """Forget deleted products (SQLite's FTS5 table has no foreign key to cascade)."""
    ids = list(ids)
    if ids and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.executemany(
                f"DELETE FROM {FTS_TABLE} WHERE product_id = %s",  # noqa: S608
                [[pk] for pk in ids],
            )
    forget_words()


def terms(query: str) -> list[str]:
    """The words of a query, lower-cased; everything else (quotes, operators) is dropped."""
    return [w.lower() for w in _WORD.findall(query[:MAX_QUERY_LENGTH])][:MAX_TERMS]


def _match_expression(words: list[str]) -> str:
    return " ".join(f'"{w}"*' for w in words)


def _pg_matches(words: list[str]) -> QuerySet[Product]:
    """Products matching every word (prefix match), through the stored `search_vector` column
    and its GIN index (migration 0004): whatever order the planner reads rows in, it reads the
    vector as stored instead of computing it again from 10,000 rows of text."""
    raw = " & ".join(f"{w}:*" for w in words)
    return Product.objects.filter(
        RawSQL("search_vector @@ to_tsquery('simple', %s)", [raw], output_field=BooleanField())
    )


def _matching_page(words: list[str], *, offset: int, limit: int) -> tuple[list[int], int]:
    """One page of matching ids, best first, and the number of matches (up to COUNT_CAP + 1).

    Why in SQL: a common word ("camera") matches the whole catalog; fetching every id to show
    24 cost most of a search. The count is a second, cheap query (no ranking, no rows), run
    only when the page does not already tell it (a first page that is not full), and it stops
    counting past COUNT_CAP ("1,000+ results"): an exact figure for the whole catalog costs a
    scan of it and tells the shopper nothing more."""
    if not words:
        return [], 0
    if connection.vendor == "sqlite":
        match = _match_expression(words)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT product_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608
                "ORDER BY rank LIMIT %s OFFSET %s",
                [match, limit, offset],
            )
            ids = [row[0] for row in cursor.fetchall()]
            if offset == 0 and len(ids) < limit:
                return ids, len(ids)
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} "  # noqa: S608
                "MATCH %s LIMIT %s)",
                [match, COUNT_CAP + 1],
            )
            return ids, int(cursor.fetchone()[0])
    # PostgreSQL: in id order (stable pages), so a common word stops after one page of rows
    # instead of sorting the whole catalog; the count stops at COUNT_CAP + 1 likewise.
    matches = _pg_matches(words).order_by("pk")
    ids = list(matches.values_list("pk", flat=True)[offset : offset + limit])
    if offset == 0 and len(ids) < limit:
        return ids, len(ids)
    return ids, matches.order_by()[: COUNT_CAP + 1].count()


@dataclass(frozen=True)
class _Words:
    """What spelling help needs from the whole catalog, read once per catalog version."""

    vocabulary: frozenset[str]
    sorted_words: list[str]
    names: dict[str, str]  # lower-cased product name or brand -> as written
    name_keys: list[str]  # the keys of `names`, once, for the fuzzy matcher


_words_lock = threading.Lock()
_words_cache: dict[str, Any] = {}


def forget_words() -> None:
    """Drop this process's word list; `index_products` calls it so a change shows at once."""
    with _words_lock:
        _words_cache.clear()


def _load_words() -> _Words:
    words: set[str] = set()
    names: dict[str, str] = {}
    rows = Product.objects.exclude(structure=Structure.CHILD)
    for text, name, brand in rows.values_list("search_text", "name", "brand"):
        words.update(w.lower() for w in _WORD.findall(text) if len(w) > 2 and not w.isdigit())
        for label in (name, brand):
            if label:
                names.setdefault(label.lower(), label)
    return _Words(frozenset(words), sorted(words), names, list(names))


def _words() -> _Words:
    """The catalog's words, computed once per catalog generation (lookout.catalog.cache).

    Why: on a misspelling the correction and the "did you mean" list compared the query with
    every word of every product, read from the database on each request (most of a slow
    search's time). The catalog changes rarely; its generation number changes with it, so the
    list is rebuilt only after a change (in this process at once, see `forget_words`; in
    others within the generation poll interval)."""
    from lookout.catalog.cache import current_generation

    gen = current_generation()
    with _words_lock:
        cached = _words_cache.get("words")
        if cached is not None and _words_cache.get("generation") == gen:
            return cast(_Words, cached)
    loaded = _load_words()
    with _words_lock:
        _words_cache.update(words=loaded, generation=gen)
    return loaded


def _close_word(word: str, words: _Words, *, cutoff: float = 70) -> str | None:
    """The closest catalog word by similarity (rapidfuzz's `ratio`, 0-100), if any reaches
    `cutoff`."""
    close = process.extractOne(word, words.sorted_words, scorer=fuzz.ratio, score_cutoff=cutoff)
    return close[0] if close else None


def _is_prefix(word: str, words: _Words) -> bool:
    i = bisect.bisect_left(words.sorted_words, word)
    return i < len(words.sorted_words) and words.sorted_words[i].startswith(word)


def _correct(words: list[str]) -> str:
    """Replace each unknown word by its closest catalog word (similarity ≥ 70 of 100)."""
    catalog = _words()
    fixed = []
    for word in words:
        if word in catalog.vocabulary or _is_prefix(word, catalog):
            fixed.append(word)
            continue
        fixed.append(_close_word(word, catalog) or word)
    return " ".join(fixed)


def suggest(query: str, *, limit: int = 5) -> list[str]:
    """Product names and brands that look like the query: for the "did you mean" list.

    Why rapidfuzz and not difflib: a query that matches nothing is compared with every name in
    the catalog (2,800 distinct names among 10,000 products in `bench/search.py`); difflib took
    10-35 ms of Python for that, rapidfuzz's compiled matcher well under a millisecond
    (decision 0027). Its `ratio` is the normalised indel similarity, 0-100."""
    words = _words()
    close = process.extract(
        query.lower(), words.name_keys, scorer=fuzz.ratio, limit=limit, score_cutoff=50
    )
    return [words.names[match] for match, _score, _index in close]


def search_products(*, query: str, page: int = 1, per_page: int = PER_PAGE) -> SearchResult:
    """One page of the products matching every word of `query`, best first, and how many match
    in all; a corrected query on no match. `page` is 1-based; one past the end is empty."""
    words = terms(query)
    page = max(1, min(int(page), MAX_PAGE))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    result = SearchResult(query=" ".join(words), products=[], page=page, per_page=per_page)
    offset = (page - 1) * per_page
    ids, total = _matching_page(words, offset=offset, limit=per_page)
    if not total and words:
        corrected = _correct(words)
        if corrected != " ".join(words):
            ids, total = _matching_page(corrected.split(), offset=offset, limit=per_page)
            if total:
                result.corrected = corrected
    result.total, result.total_capped = min(total, COUNT_CAP), total > COUNT_CAP
    if ids:
        by_id = {p.pk: p for p in Product.objects.filter(pk__in=ids).select_related("category")}
        result.products = [by_id[i] for i in ids if i in by_id]
    if not result.products and words:
        result.suggestions = suggest(" ".join(words))
    return result
