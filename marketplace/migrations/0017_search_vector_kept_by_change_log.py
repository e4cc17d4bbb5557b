from django.db import migrations

from marketplace.catalogue import changes


def install(apps, schema_editor):
    # PostgreSQL: the change log's triggers now keep each listing's search vector.
    changes.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0016_catalogue_full_text_index"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
