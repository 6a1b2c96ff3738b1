"""A published vote and its ballots cannot be changed or deleted, and no ballot can be added to a
published vote: the database refuses it, so no code path (or console) can alter a decision after
residents have seen it. SQLite and PostgreSQL each get their own triggers."""

from django.db import migrations

MESSAGE = "published vote is unalterable"

SQLITE_FORWARD = [
    "CREATE TRIGGER deliberation_vote_no_update BEFORE UPDATE ON deliberation_vote "
    f"WHEN OLD.published_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER deliberation_vote_no_delete BEFORE DELETE ON deliberation_vote "
    f"WHEN OLD.published_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER deliberation_ballot_no_insert BEFORE INSERT ON deliberation_ballot "
    "WHEN (SELECT published_at FROM deliberation_vote WHERE id = NEW.vote_id) IS NOT NULL "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER deliberation_ballot_no_update BEFORE UPDATE ON deliberation_ballot "
    "WHEN (SELECT published_at FROM deliberation_vote WHERE id = OLD.vote_id) IS NOT NULL "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER deliberation_ballot_no_delete BEFORE DELETE ON deliberation_ballot "
    "WHEN (SELECT published_at FROM deliberation_vote WHERE id = OLD.vote_id) IS NOT NULL "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS deliberation_{name};"
    for name in ("vote_no_update", "vote_no_delete", "ballot_no_insert", "ballot_no_update", "ballot_no_delete")
]
POSTGRES_FORWARD = [
    f"""CREATE OR REPLACE FUNCTION deliberation_vote_refuse_change() RETURNS trigger AS $$
    BEGIN
      IF OLD.published_at IS NOT NULL THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql;""",
    "CREATE TRIGGER deliberation_vote_no_change BEFORE UPDATE OR DELETE ON deliberation_vote "
    "FOR EACH ROW EXECUTE FUNCTION deliberation_vote_refuse_change();",
    # FOR SHARE: a ballot waits for a publication in progress and then sees it, so no ballot slips
    # in between the count and the publication.
    f"""CREATE OR REPLACE FUNCTION deliberation_ballot_refuse_change() RETURNS trigger AS $$
    DECLARE target bigint; published timestamptz;
    BEGIN
      IF TG_OP = 'INSERT' THEN target := NEW.vote_id; ELSE target := OLD.vote_id; END IF;
      SELECT v.published_at INTO published FROM deliberation_vote v WHERE v.id = target FOR SHARE;
      IF published IS NOT NULL THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql;""",
    "CREATE TRIGGER deliberation_ballot_no_change BEFORE INSERT OR UPDATE OR DELETE ON deliberation_ballot "
    "FOR EACH ROW EXECUTE FUNCTION deliberation_ballot_refuse_change();",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS deliberation_ballot_no_change ON deliberation_ballot;",
    "DROP FUNCTION IF EXISTS deliberation_ballot_refuse_change();",
    "DROP TRIGGER IF EXISTS deliberation_vote_no_change ON deliberation_vote;",
    "DROP FUNCTION IF EXISTS deliberation_vote_refuse_change();",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(vendor, []):
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
