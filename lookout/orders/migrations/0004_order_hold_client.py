from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_cancellation"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="hold_client",
            field=models.CharField(blank=True, db_index=True, default="", max_length=64),
        ),
    ]
