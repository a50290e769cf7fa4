"""Hazard.source_client (a free-text name) becomes a foreign key to the client organisation
(govern.ApiClient), so an Open311 report is attributed to the client whose api_key posted it;
client_data keeps what the client sent beyond the report's own fields. Existing names are
matched to clients by organisation name (no match: the attribution stays empty)."""

import django.db.models.deletion
from django.db import migrations, models


def names_to_clients(apps, schema_editor):
    Hazard = apps.get_model("hazards", "Hazard")
    ApiClient = apps.get_model("govern", "ApiClient")
    clients = dict(ApiClient.objects.values_list("name", "id"))
    for name in Hazard.objects.exclude(source_client="").values_list("source_client", flat=True).distinct():
        if name in clients:
            Hazard.objects.filter(source_client=name).update(api_client_id=clients[name])


def clients_to_names(apps, schema_editor):
    Hazard = apps.get_model("hazards", "Hazard")
    ApiClient = apps.get_model("govern", "ApiClient")
    for client_id, name in ApiClient.objects.values_list("id", "name"):
        Hazard.objects.filter(api_client_id=client_id).update(source_client=name[:100])


class Migration(migrations.Migration):

    dependencies = [
        ("govern", "0004_live_outbox_state"),
        ("hazards", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="hazard",
            name="api_client",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="hazards",
                to="govern.apiclient",
                verbose_name="API client",
            ),
        ),
        migrations.AddField(
            model_name="hazard",
            name="client_data",
            field=models.JSONField(blank=True, default=dict, verbose_name="client data"),
        ),
        migrations.RunPython(names_to_clients, clients_to_names),
        migrations.RemoveField(model_name="hazard", name="source_client"),
    ]
