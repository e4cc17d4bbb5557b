import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0007_orders_and_payments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="charge",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("order", "Order"),
                    ("deposit", "Deposit"),
                    ("balance", "Balance"),
                ],
                default="order",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="charge",
            name="reference",
            field=models.CharField(db_index=True, max_length=120),
        ),
        migrations.AddField(
            model_name="paymentevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.CreateModel(
            name="CommissionPayment",
            fields=[],
            options={
                "ordering": ["created_at", "id"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("marketplace.charge",),
        ),
    ]
