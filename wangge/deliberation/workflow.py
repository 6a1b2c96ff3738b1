"""The matter's workflow: ONE table of allowed moves and the one function that applies them.

Each move names the statuses it starts from, the status it leads to and the capability it needs.
A move with no capability is made by the system only — as the consequence of another act (the
last support needed, a vote's publication, the last task done) — never asked for directly.
`matter_transition` is the only code that changes `Matter.status`.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import HEAR_MATTERS, RUN_MEETINGS, require
from wangge.core import audit
from wangge.core.errors import Conflict, NotFound
from wangge.core.scope import in_scope

from .models import Matter, MatterEvent, Status


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    sources: frozenset
    target: str
    capability: str | None  # None: the system only


S = Status
TABLE = [
    Move("supported", gettext_lazy("附议人数达到要求"), frozenset({S.PROPOSED}), S.HEARING, None),
    Move("accept", gettext_lazy("受理听事"), frozenset({S.PROPOSED}), S.HEARING, HEAR_MATTERS),
    Move("merge", gettext_lazy("合并重复事项"), frozenset({S.PROPOSED, S.HEARING}), S.MERGED, HEAR_MATTERS),
    Move("answer", gettext_lazy("答复办结"), frozenset({S.PROPOSED, S.HEARING}), S.ANSWERED, HEAR_MATTERS),
    Move("refer", gettext_lazy("转为案件"), frozenset({S.PROPOSED, S.HEARING}), S.REFERRED, HEAR_MATTERS),
    Move("schedule", gettext_lazy("列入议事议程"), frozenset({S.HEARING}), S.SCHEDULED, HEAR_MATTERS),
    Move("pass", gettext_lazy("表决通过"), frozenset({S.SCHEDULED}), S.DECIDED, None),
    Move("fail", gettext_lazy("表决未通过"), frozenset({S.SCHEDULED}), S.REJECTED, None),
    Move("start", gettext_lazy("开始协同办事"), frozenset({S.DECIDED}), S.IN_PROGRESS, RUN_MEETINGS),
    Move("finish", gettext_lazy("办结"), frozenset({S.IN_PROGRESS}), S.DONE, RUN_MEETINGS),
    Move("close", gettext_lazy("结束评价"), frozenset({S.DONE}), S.CLOSED, RUN_MEETINGS),
]
MOVES = {move.action: move for move in TABLE}


def allowed_actions(matter: Matter, user) -> list[Move]:
    """The moves this user could ask for on this matter now (for buttons)."""
    return [
        move
        for move in TABLE
        if move.capability
        and matter.status in move.sources
        and user.can(move.capability)
        and in_scope(user, matter.region_key)
    ]


def matter_transition(
    *, matter: Matter, action: str, actor, note: str = "", changes: dict | None = None, by_system: bool = False
) -> Matter:
    """Apply one move of the table to a matter: lock it, check the status, the actor's capability
    and scope, write the status with `changes`, the timeline and one audit record."""
    move = MOVES[action]
    with transaction.atomic():
        current = Matter.objects.select_for_update().filter(pk=matter.pk).first()
        if current is None:
            raise NotFound(_("议事事项不存在，或不在您的管辖范围内"))
        if move.capability is None and not by_system:
            raise Conflict(_("「%(act)s」由系统自动完成") % {"act": move.label})
        if move.capability is not None and not by_system and actor is not None:
            require(actor, move.capability)
            if not in_scope(actor, current.region_key):
                raise NotFound(_("议事事项不存在，或不在您的管辖范围内"))
        if current.status not in move.sources:
            raise Conflict(
                _("事项当前状态为「%(status)s」，不能%(act)s")
                % {"status": current.get_status_display(), "act": move.label},
                code="wrong_status",
                field="status",
            )
        before = current.status
        fields = {"status": move.target, "version": F("version") + 1, "updated_at": timezone.now()}
        fields.update(changes or {})
        Matter.objects.filter(pk=current.pk).update(**fields)
        MatterEvent.objects.create(
            matter=current,
            action=action,
            from_status=before,
            to_status=move.target,
            actor=actor,
            actor_label=str(actor) if actor is not None else audit.SYSTEM,
            note=note,
        )
        audit.record(
            actor=actor,
            verb=f"matter.{action}",
            target=current,
            scope_key=current.region_key,
            before={"status": before},
            after={"status": move.target, **{k: str(v) for k, v in (changes or {}).items()}},
            note=note,
        )
    matter.refresh_from_db()
    return matter
