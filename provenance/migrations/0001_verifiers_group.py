from django.db import migrations


def create_verifiers_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="Verifiers")


def remove_verifiers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Verifiers").delete()


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_verifiers_group, remove_verifiers_group)]
