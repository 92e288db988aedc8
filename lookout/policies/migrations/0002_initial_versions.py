"""Load version 1 of the Privacy, Shipping and Refund policies (lookout/policies/texts/)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from lookout.policies.initial import ensure_initial_versions

    ensure_initial_versions(model=apps.get_model("policies", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
