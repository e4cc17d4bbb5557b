from django.contrib.auth.management import create_permissions
from django.db import migrations

# What a verifier needs: to decide on claims, and to read what they decide on.
VERIFIER_PERMISSIONS = [
    ("provenance", "review_claim"),
    ("provenance", "view_review"),
    ("provenance", "view_reviewevent"),
    ("provenance", "view_evidence"),
    ("artisans", "view_artisan"),
    ("artisans", "view_makermark"),
]


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Verifiers")
    for app_label, codename in VERIFIER_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="Verifiers").first()
    if group:
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("provenance", "0002_verification"),
        ("artisans", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
