"""Make the ledger's movements and entries append-only in the database itself, so no code path
(or console) can rewrite a balance's history; corrections are reversing movements."""

from django.db import migrations

TABLES = ("points_movement", "points_entry")


def _sqlite(table: str) -> tuple[list[str], list[str]]:
    forward = [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'points ledger is append-only'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'points ledger is append-only'); END;",
    ]
    backward = [f"DROP TRIGGER IF EXISTS {table}_no_update;", f"DROP TRIGGER IF EXISTS {table}_no_delete;"]
    return forward, backward


def _postgres(table: str) -> tuple[list[str], list[str]]:
    forward = [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION points_ledger_refuse_change();",
    ]
    backward = [f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};"]
    return forward, backward


POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION points_ledger_refuse_change() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'points ledger is append-only'; END; $$ LANGUAGE plpgsql;"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
    for table in TABLES:
        statements = {"sqlite": _sqlite, "postgresql": _postgres}.get(vendor)
        for statement in statements(table)[0] if statements else []:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        statements = {"sqlite": _sqlite, "postgresql": _postgres}.get(vendor)
        for statement in statements(table)[1] if statements else []:
            schema_editor.execute(statement)
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS points_ledger_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
