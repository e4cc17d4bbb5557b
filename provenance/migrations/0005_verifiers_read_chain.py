from django.contrib.auth.management import create_permissions
from django.db import migrations

# Verifiers read the chain's claims they decide on (lots, events, certifications).
VERIFIER_PERMISSIONS = [
    "view_party",
    "view_materiallot",
    "view_traceevent",
    "view_certification",
    "view_certificate",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Verifiers")
    for codename in VERIFIER_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label="provenance", codename=codename
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Verifiers").first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="provenance", codename__in=VERIFIER_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("provenance", "0004_origin_chain")]

    operations = [migrations.RunPython(grant, revoke)]
