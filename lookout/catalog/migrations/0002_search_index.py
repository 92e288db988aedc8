"""The FTS5 search table (SQLite only); PostgreSQL searches `Product.search_text` directly."""

from django.db import migrations


def create(apps, schema_editor):
    from lookout.catalog.search import create_fts_table

    create_fts_table(schema_editor)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS catalog_product_fts")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
