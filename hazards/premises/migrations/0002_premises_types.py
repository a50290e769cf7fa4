"""Seed the premises types that checklists attach to (admin can add more)."""

from django.db import migrations

TYPES = [
    ("restaurant", "餐饮店", "Restaurant", 10),
    ("shop", "商铺", "Shop", 20),
    ("workshop", "作坊", "Workshop", 30),
    ("enterprise", "企业", "Enterprise", 40),
]


def seed_types(apps, schema_editor):
    PremisesType = apps.get_model("premises", "PremisesType")
    for slug, name, name_en, order in TYPES:
        PremisesType.objects.update_or_create(slug=slug, defaults={"name": name, "name_en": name_en, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("premises", "0001_initial")]
    operations = [migrations.RunPython(seed_types, migrations.RunPython.noop)]
