import pytest

from govern.api_keys import api_client_for_key, api_client_issue, api_client_rotate_key, hash_key
from govern.models import ApiClient

pytestmark = pytest.mark.django_db


def test_keys_are_stored_hashed_and_checked():
    client, raw = api_client_issue(name="Org A")
    assert len(raw) >= 32
    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.key_hash == hash_key(raw) and raw not in (stored.key_hash, stored.key_prefix * 5)
    assert api_client_for_key(raw) == client
    assert api_client_for_key("") is None and api_client_for_key(None) is None
    assert api_client_for_key(raw + "x") is None


def test_rotation_and_deactivation_stop_old_keys():
    client, raw = api_client_issue(name="Org B")
    new = api_client_rotate_key(client_id=client.pk)
    assert api_client_for_key(raw) is None and api_client_for_key(new) == client
    ApiClient.objects.filter(pk=client.pk).update(active=False)
    assert api_client_for_key(new) is None


def test_demo_key_is_seeded():
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    assert api_client_for_key("govern-demo-open311") is not None
