"""Writing the audit log. Services call `record` explicitly, inside their transaction."""

from django.db import models

from .context import current_request_id
from .models import AuditEvent

SYSTEM = "系统"


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-safe copy of a model's concrete fields, for before/after."""
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name == "password" or field.name.endswith(("_cipher", "_index")):
            continue  # secrets and encrypted personal data never go into the audit log
        value = field.value_from_object(instance)
        if field.is_relation:
            name = field.attname
        else:
            name = field.name
        if value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            value = str(value)
        data[name] = value
    return data


def _actor_fields(actor) -> dict:
    if actor is None or not getattr(actor, "pk", None):
        return {"actor": None, "actor_label": SYSTEM}
    return {"actor": actor, "actor_label": actor.get_username()}


def build(
    *,
    actor,
    verb: str,
    target,
    scope_key: str = "",
    before=None,
    after=None,
    note: str = "",
    target_type: str | None = None,
    target_id: str | None = None,
    target_label: str | None = None,
) -> AuditEvent:
    return AuditEvent(
        **_actor_fields(actor),
        verb=verb,
        target_type=target_type or (target._meta.label_lower if target is not None else ""),
        target_id=str(target_id if target_id is not None else getattr(target, "pk", "")),
        target_label=(target_label if target_label is not None else str(target))[:255],
        scope_key=scope_key,
        before=before,
        after=after,
        request_id=current_request_id(),
        note=note,
    )


def record(**kwargs) -> AuditEvent:
    event = build(**kwargs)
    event.save()
    return event


def record_many(events: list[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def record_batch(*, actor, verb: str, target_type: str, items, note: str = "") -> int:
    """Many events by one actor with one verb — the rows of an import — written in bulk. Each item
    is (target_id, target_label, scope_key, before, after). Same rows as `record_many`, without a
    model instance and the ORM's per-field preparation for each event, which cost about ten times
    the database's own work on 100,000 events. Returns how many events were written."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.utils import timezone

    connection = connections[DEFAULT_DB_ALIAS]  # resolved once: the proxy costs a lookup per use
    meta = AuditEvent._meta
    json_field = meta.get_field("after")
    quote = connection.ops.quote_name
    columns = [
        "at", "actor_id", "actor_label", "verb", "target_type", "target_id",
        "target_label", "scope_key", "before", "after", "request_id", "note",
    ]  # fmt: skip
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(meta.get_field(c).column) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    at = meta.get_field("at").get_db_prep_save(timezone.now(), connection)
    who = _actor_fields(actor)
    actor_id = who["actor"].pk if who["actor"] is not None else None
    request_id = current_request_id()

    def as_json(value):
        return None if value is None else json_field.get_db_prep_save(value, connection)

    rows, written = [], 0
    with connection.cursor() as cursor:
        for target_id, label, scope_key, before, after in items:
            rows.append(
                (at, actor_id, who["actor_label"], verb, target_type, str(target_id), label[:255], scope_key,
                 as_json(before), as_json(after), request_id, note)
            )  # fmt: skip
            if len(rows) == 5000:
                cursor.executemany(sql, rows)
                written += len(rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)
            written += len(rows)
    return written
