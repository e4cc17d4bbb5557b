"""A GIN index on the listing search vector, on PostgreSQL only.

SQLite has no tsvector type nor GIN indexes; its catalogue search falls back to
case-insensitive matching, so the index is created only where it can be used.
"""

from django.db import migrations

INDEX = "listing_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON marketplace_listing "
            "USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_catalogue")]

    operations = [migrations.RunPython(create_index, drop_index)]
