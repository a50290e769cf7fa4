# Licensed skills need a certificate photo before a review can confirm them for dispatch.

from django.db import migrations, models

LICENSED = ["electrician", "gas-safety"]


def mark_licensed(apps, schema_editor):
    apps.get_model("volunteers", "Skill").objects.filter(slug__in=LICENSED).update(licensed=True)


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0004_service_certificates"),
    ]

    operations = [
        migrations.AddField(
            model_name="skill",
            name="licensed",
            field=models.BooleanField(
                default=False,
                help_text="A certificate photo is needed before the skill counts for dispatch.",
                verbose_name="licensed",
            ),
        ),
        migrations.AddField(
            model_name="volunteerskill",
            name="certificate_photo",
            field=models.ImageField(blank=True, upload_to="certificates/%Y/%m/", verbose_name="certificate photo"),
        ),
        migrations.RunPython(mark_licensed, migrations.RunPython.noop),
    ]
