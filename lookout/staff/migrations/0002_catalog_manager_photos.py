"""The catalog manager's group also manages product photos (catalog.ProductPhoto)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CATALOG_GROUP = "catalog_manager"


def grant_photos(apps, schema_editor):
    catalog = apps.get_app_config("catalog")
    catalog.models_module = True
    create_permissions(catalog, apps=apps, verbosity=0)
    catalog.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CATALOG_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="catalog", content_type__model="productphoto"
        )
    )


def revoke_photos(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=CATALOG_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="catalog", content_type__model="productphoto"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_role_groups"),
        ("catalog", "0005_product_photos"),
    ]
    operations = [migrations.RunPython(grant_photos, revoke_photos)]
