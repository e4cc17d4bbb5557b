from django.db import migrations, models


class Migration(migrations.Migration):
    """Owners become per-piece commitments (64 hex digits); recorded pseudonyms stay."""

    dependencies = [
        ("provenance", "0008_private_evidence"),
    ]

    operations = [
        migrations.RenameField(
            model_name="traceevent",
            old_name="owner_pseudonym",
            new_name="owner_commitment",
        ),
        migrations.AlterField(
            model_name="traceevent",
            name="owner_commitment",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
