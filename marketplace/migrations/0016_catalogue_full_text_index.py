"""The catalogue's full-text index on SQLite: an FTS5 table with one row per listing,
filled from the existing rows and kept exact by triggers on every table it reads.

PostgreSQL searches the GIN-indexed ``Listing.search_vector`` (0003) and gets nothing
here: the SQL runs only where the vendor is SQLite.
"""

from django.db import migrations

# One listing's document: its title, its artisan's public name, its materials (metal
# names and gemstone species) and its description, for the listings that WHERE picks.
DOCUMENT = """
INSERT INTO marketplace_listing_fts (rowid, title, artisan, materials, description)
SELECT l.id, l.title, a.public_name,
    coalesce((SELECT group_concat(m.metal, ' ') FROM marketplace_metalcomponent m
              WHERE m.listing_id = l.id), '')
    || ' ' ||
    coalesce((SELECT group_concat(g.species, ' ') FROM marketplace_gemstone g
              WHERE g.listing_id = l.id), ''),
    l.description
FROM marketplace_listing l JOIN artisans_artisan a ON a.id = l.artisan_id
WHERE
"""
# Rewrites the document of the listing LISTING_ID (a column of the triggering row).
REFRESH = (
    "DELETE FROM marketplace_listing_fts WHERE rowid = LISTING_ID;"  # noqa: S608
    + DOCUMENT
    + "l.id = LISTING_ID;"
)


# (S608: every string here is constant SQL; no input reaches it.)


def _refresh(listing_id: str) -> str:
    return REFRESH.replace("LISTING_ID", listing_id)


TRIGGERS = {
    "listing_insert": (
        "AFTER INSERT ON marketplace_listing BEGIN " + _refresh("new.id") + " END"
    ),
    "listing_update": (
        "AFTER UPDATE OF id, title, description, artisan_id ON marketplace_listing "  # noqa: S608
        "WHEN old.id IS NOT new.id OR old.title IS NOT new.title "
        "OR old.description IS NOT new.description "
        "OR old.artisan_id IS NOT new.artisan_id BEGIN "
        "DELETE FROM marketplace_listing_fts WHERE rowid = old.id; "
        + _refresh("new.id")
        + " END"
    ),
    "listing_delete": (
        "AFTER DELETE ON marketplace_listing BEGIN "
        "DELETE FROM marketplace_listing_fts WHERE rowid = old.id; END"
    ),
    "artisan_update": (
        "AFTER UPDATE OF public_name ON artisans_artisan "  # noqa: S608
        "WHEN old.public_name IS NOT new.public_name BEGIN "
        "DELETE FROM marketplace_listing_fts WHERE rowid IN "
        "(SELECT id FROM marketplace_listing WHERE artisan_id = new.id); "
        + DOCUMENT
        + "l.artisan_id = new.id; END"
    ),
    "metal_insert": (
        "AFTER INSERT ON marketplace_metalcomponent BEGIN "
        + _refresh("new.listing_id")
        + " END"
    ),
    "metal_update": (
        "AFTER UPDATE OF metal, listing_id ON marketplace_metalcomponent "
        "WHEN old.metal IS NOT new.metal OR old.listing_id IS NOT new.listing_id "
        "BEGIN " + _refresh("old.listing_id") + _refresh("new.listing_id") + " END"
    ),
    "metal_delete": (
        "AFTER DELETE ON marketplace_metalcomponent BEGIN "
        + _refresh("old.listing_id")
        + " END"
    ),
    "gemstone_insert": (
        "AFTER INSERT ON marketplace_gemstone BEGIN "
        + _refresh("new.listing_id")
        + " END"
    ),
    "gemstone_update": (
        "AFTER UPDATE OF species, listing_id ON marketplace_gemstone "
        "WHEN old.species IS NOT new.species OR old.listing_id IS NOT new.listing_id "
        "BEGIN " + _refresh("old.listing_id") + _refresh("new.listing_id") + " END"
    ),
    "gemstone_delete": (
        "AFTER DELETE ON marketplace_gemstone BEGIN "
        + _refresh("old.listing_id")
        + " END"
    ),
}


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        "CREATE VIRTUAL TABLE marketplace_listing_fts USING fts5("
        "title, artisan, materials, description, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    schema_editor.execute(DOCUMENT + "1")
    for name, body in TRIGGERS.items():
        schema_editor.execute(f"CREATE TRIGGER marketplace_listing_fts_{name} {body}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS marketplace_listing_fts_{name}")
    schema_editor.execute("DROP TABLE IF EXISTS marketplace_listing_fts")


class Migration(migrations.Migration):
    dependencies = [
        ("artisans", "0003_artisan_rating_figures"),
        ("marketplace", "0015_listing_cards"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
