"""A GIN index of the products' search text (PostgreSQL only; SQLite searches its FTS5 table).

Why: without it every search computed `to_tsvector` for every product (a full scan). The
expression is exactly the one `lookout.catalog.search._pg_matches` filters on, so the planner
uses the index."""

from django.db import migrations

INDEX = "catalog_product_search_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_product "
            "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_index")]
    operations = [migrations.RunPython(create, drop)]
