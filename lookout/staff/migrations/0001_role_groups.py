"""The catalog manager's permission group: products and categories in the admin, nothing else.

Permissions are normally created after all migrations ran; they are created here first so the
group can hold them on a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CATALOG_GROUP = "catalog_manager"


def create_groups(apps, schema_editor):
    catalog = apps.get_app_config("catalog")
    catalog.models_module = True
    create_permissions(catalog, apps=apps, verbosity=0)
    catalog.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CATALOG_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog",
            content_type__model__in=["product", "category"],
        )
    )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=CATALOG_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0002_search_index"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
