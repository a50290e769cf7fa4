# Issue 21: who verifies a fix depends on the gravest severity a hazard ever had.

from django.conf import settings
from django.db import migrations, models


def copy_severity(apps, schema_editor):
    apps.get_model("hazards", "Hazard").objects.update(peak_severity=models.F("severity"))


class Migration(migrations.Migration):
    dependencies = [
        ("govern", "0006_live_outbox_database_identity"),
        ("hazards", "0005_photo_processing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="hazard",
            name="peak_severity",
            field=models.CharField(
                choices=[("low", "low"), ("medium", "medium"), ("high", "high"), ("critical", "critical")],
                default="low",
                max_length=10,
                verbose_name="peak severity",
            ),
            preserve_default=False,
        ),
        # Existing hazards: the severity they have now is the gravest known.
        migrations.RunPython(copy_severity, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="hazard",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("peak_severity__in", ["low", "medium", "high", "critical"]), ("severity", "low")),
                    models.Q(("peak_severity__in", ["medium", "high", "critical"]), ("severity", "medium")),
                    models.Q(("peak_severity__in", ["high", "critical"]), ("severity", "high")),
                    models.Q(("peak_severity__in", ["critical"]), ("severity", "critical")),
                    _connector="OR",
                ),
                name="hazard_peak_severity_at_least_severity",
            ),
        ),
    ]
