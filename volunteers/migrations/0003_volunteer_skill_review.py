# Issue 21: dispatch counts a skill only once a dispatcher reviewed the claim.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def review_approved(apps, schema_editor):
    # Skills of volunteers a dispatcher already approved count as reviewed (approval was the review).
    from django.utils import timezone

    apps.get_model("volunteers", "VolunteerSkill").objects.filter(
        volunteer__status__in=["approved", "suspended"]
    ).update(reviewed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0002_profiles_teams_duty_service"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="volunteerskill",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="reviewed at"),
        ),
        migrations.AddField(
            model_name="volunteerskill",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="reviewed by",
            ),
        ),
        migrations.RunPython(review_approved, migrations.RunPython.noop),
    ]
