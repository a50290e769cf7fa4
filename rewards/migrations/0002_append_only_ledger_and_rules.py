"""The ledger is append-only in the database itself, and the earning rules exist everywhere.

PostgreSQL: a trigger refuses UPDATE and DELETE of points entries (TRUNCATE, used by test
flushes and deliberate maintenance, is a different statement and stays possible).
SQLite: a trigger refuses UPDATE (DELETE stays, because Django's test flush deletes rows there).
"""


from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION rewards_points_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'points entries are append-only: post a reversal entry instead of %', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS rewards_points_entry_append_only ON rewards_pointsentry;
CREATE TRIGGER rewards_points_entry_append_only BEFORE UPDATE OR DELETE ON rewards_pointsentry
    FOR EACH ROW EXECUTE FUNCTION rewards_points_entry_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS rewards_points_entry_append_only ON rewards_pointsentry;
DROP FUNCTION IF EXISTS rewards_points_entry_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER IF NOT EXISTS rewards_points_entry_no_update BEFORE UPDATE ON rewards_pointsentry
BEGIN
    SELECT RAISE(ABORT, 'points entries are append-only: post a reversal entry instead of UPDATE');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS rewards_points_entry_no_update;"

SEVERITY_FACTORS = {"low": 1, "medium": 1.5, "high": 2, "critical": 3}
RULES = [
    ("report_verified", "隐患上报核实", "A verified hazard report pays its (first) reporter.", 10, {}),
    ("task_verified", "整改任务核实", "A verified task pays its assignee, times the hazard's severity factor.", 20, SEVERITY_FACTORS),
]


def forward_sql(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD, params=None)


def backward_sql(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD, params=None)


def seed_rules(apps, schema_editor):
    EarningRule = apps.get_model("rewards", "EarningRule")
    for code, name, description, points, factors in RULES:
        EarningRule.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "points": points, "severity_factors": factors}
        )


class Migration(migrations.Migration):
    dependencies = [("rewards", "0001_initial")]
    operations = [
        migrations.RunPython(forward_sql, backward_sql),
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
    ]
