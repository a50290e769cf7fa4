"""Every page of every demo account, rendered in Chinese, shows no English: no untranslated
sentence, no status or role code, no browser error text (tests/latin_words.py says what passes).
The same walk checks that no page links into Django's admin for an account that cannot use it
(every demo account but the staff `admin`: dispatchers have pages of their own)."""

from __future__ import annotations

import pytest
from django.utils import translation

from govern.models import User
from tests.demo_world import ACCOUNTS, pages_for, seed_world
from tests.latin_words import leaks, page_leaks

pytestmark = pytest.mark.django_db


def test_the_leak_finder_tells_codes_and_units_from_english():
    assert leaks("追踪码 QPX7VFZS36 · 距您 120 m · vol1 · OpenStreetMap") == []
    assert leaks("Failed to fetch") == ["Failed", "to", "fetch"]
    assert leaks("角色：grid_worker · 等级 critical · temperature") == ["grid_worker", "critical", "temperature"]


def test_every_page_of_every_demo_account_reads_chinese(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with translation.override("zh-hans"):  # what the demo writes down (history notes) is in Chinese
        world = seed_world()
    problems = []
    for who in ACCOUNTS:
        client.logout()
        if who != "anonymous":
            client.force_login(User.objects.get(username=who))
        for path in pages_for(world, who):
            response = client.get(path, follow=True)
            assert response.status_code < 500, (who, path, response.status_code)
            assert response["Content-Type"].startswith("text/html"), (who, path)
            html = response.content.decode()
            if 'href="/admin' in html and not (user := response.wsgi_request.user).is_staff:
                problems.append(f"{who} {path}: links into the admin for {user.username or 'anonymous'}")
            if '<html lang="zh-hans">' not in html:
                problems.append(f"{who} {path}: not in the base layout in Chinese")
            for text, where, words in page_leaks(html):
                problems.append(f"{who} {path} {where}: {words} in {text!r}")
    assert not problems, f"{len(problems)} English leaks:\n" + "\n".join(problems)
