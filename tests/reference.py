"""Rows that data migrations seed (role groups, earning rules ...).

Transactional tests flush every table afterwards, data migrations' rows included; the autouse
fixture in tests/conftest.py puts them back before each transactional test.
"""

import importlib

REFERENCE_SEEDS = [
    ("govern.migrations.0002_roles", "create_roles"),
    ("rewards.migrations.0002_append_only_ledger_and_rules", "seed_rules"),
    ("rewards.migrations.0003_earning_rules_for_service", "seed_rules"),
    ("hazards.premises.migrations.0002_premises_types", "seed_types"),
]


def ensure_reference_data() -> None:
    from django.apps import apps

    for module, function in REFERENCE_SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)
