from django.db.models import QuerySet

from .models import AuditEvent
from .scope import restrict


def audit_list(
    *, user, target_type: str = "", target_id: str = "", actor: str = "", verb: str = "", request_id: str = ""
) -> QuerySet:
    """Audit events of the administrator's own subtree, newest first."""
    from wangge.accounts.roles import VIEW_AUDIT, require

    require(user, VIEW_AUDIT)
    events = restrict(AuditEvent.objects.all(), user, "scope_key")
    if target_type:
        events = events.filter(target_type=target_type)
    if target_id:
        events = events.filter(target_id=target_id)
    if actor:
        events = events.filter(actor_label=actor)
    if verb:
        events = events.filter(verb__startswith=verb)
    if request_id:
        events = events.filter(request_id=request_id)
    return events.order_by("-at", "-id")
