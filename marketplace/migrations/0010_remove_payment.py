from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0009_commission_payments_to_charges"),
    ]

    operations = [
        migrations.DeleteModel(
            name="Payment",
        ),
    ]
