"""Create the role groups: every database has them, tests included."""

from django.db import migrations

ROLES = ("resident", "volunteer", "grid_worker", "dispatcher", "merchant_staff")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("govern", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
