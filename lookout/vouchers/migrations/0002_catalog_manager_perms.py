"""The catalog manager makes and manages discount codes in the admin: the group gets every
voucher permission (as staff 0001 gave it the products and categories)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CATALOG_GROUP = "catalog_manager"


def grant(apps, schema_editor):
    vouchers = apps.get_app_config("vouchers")
    vouchers.models_module = True
    create_permissions(vouchers, apps=apps, verbosity=0)
    vouchers.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CATALOG_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="vouchers", content_type__model="voucher"
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=CATALOG_GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="vouchers"))


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0001_initial"),
        ("staff", "0001_role_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
