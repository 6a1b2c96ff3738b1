"""The case workflow: ONE table of allowed moves and the one function that applies them.

`TABLE` lists every move: the action, the statuses it starts from, the status it leads to, who may
make it (parties, each a role plus where they stand towards the case) and the rules beside it.
`case_transition` is the only code that changes `Case.status`. It

1. re-reads the case and refuses a stale view (`expected_version` ≠ the case's version → Conflict);
2. finds the move for (status, action) in the table, checks the actor is one of its parties and
   the case meets its preconditions, and validates the data;
3. applies the change with one conditional UPDATE (… WHERE version = expected): if someone else
   moved the case in between, nothing is written and the caller gets the same Conflict;
4. writes the timeline event, attaches photos, writes one audit record and tells the people
   concerned (in the same transaction, so a message exists exactly when its change does).

Annotations (notes, urges, supervision, the sweep's warning and breach marks) do not raise the
version: they never make someone else's action on the same view fail.

`actor=None` is the system itself (the sweep, imports, the demo builder): it passes the party
checks, never the preconditions.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.notify.services import notify

from . import recipients, sla, summary
from .attachments import attach
from .contracts import case_moved
from .models import (
    CLOCK_RUNNING,
    OPEN,
    Case,
    CaseEvent,
    Status,
)
from .parties import (
    CALLBACK,
    COMMUNITY,
    DISPATCHER,
    HANDLER,
    HOLDER,
    LEADER,
    OVERSEER,
    REPORTER,
    SORTER,
    STAFF,
    SYSTEM,
    VERIFIER,
    actor_label,
    can_see,
)
from .rules import (
    Ctx,
    accept_effect,
    accept_tell,
    accept_validate,
    answer_validate,
    assign_effect,
    assign_validate,
    breach_effect,
    dispatch_effect,
    dispatch_tell,
    dispatch_validate,
    escalate_check,
    escalate_effect,
    extension_approve_effect,
    extension_deny_effect,
    extension_pending_check,
    extension_request_check,
    extension_request_effect,
    extension_request_validate,
    handler_or_holder,
    merge_after,
    merge_validate,
    optional_text,
    rate_tell,
    rate_validate,
    reopen_check,
    reopen_effect,
    reopen_target,
    reporter_of,
    require_text,
    return_after,
    return_check,
    return_effect,
    return_target,
    rule_after,
    rule_effect,
    rule_validate,
    set_assists,
    take_check,
    take_effect,
    transfer_validate,
    verify_validate,
)

CONFLICT_MESSAGE = gettext_lazy("案件已被他人处理，请刷新后重试")


# ---- THE TABLE ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One allowed move. `target` None keeps the status; `route` picks between targets where the
    table says so (the second return, a reopen of a case never dispatched)."""

    action: str
    label: str
    sources: frozenset
    target: str | None
    parties: tuple
    check: Callable | None = None  # preconditions on the case as it stands
    validate: Callable | None = None  # the data given
    effect: Callable | None = None  # field changes
    after: Callable | None = None  # other rows, once the case row has moved
    tell: Callable | None = None  # [(recipients, kind, title)]
    route: Callable | None = None
    annotation: bool = False
    public: bool = True
    condition: dict = field(default_factory=dict)  # extra WHERE for annotations (idempotent marks)
    fields: frozenset = frozenset({"text"})


S = Status
_s = frozenset
SORTABLE = _s({S.REPORTED, S.ACCEPTED})
TO_DISPATCH = _s({S.ACCEPTED, S.RETURNED})
URGEABLE = _s({S.ACCEPTED, S.RETURNED, S.ARBITRATION, S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED, S.HANDLED, S.VERIFIED})
DEPARTMENTS = frozenset({"text", "category", "lead", "assisting"})

TABLE: tuple[Move, ...] = (
    # 案卷建立: file or refuse what was reported; duplicates merge, emergencies go to 110/119/120.
    Move("accept", gettext_lazy("受理立案"), _s({S.REPORTED}), S.ACCEPTED, (SORTER,),
         validate=accept_validate, effect=accept_effect, tell=accept_tell, fields=_s({"text", "category"})),
    Move("reject", gettext_lazy("不予受理"), _s({S.REPORTED}), S.REJECTED, (SORTER,),
         validate=require_text(gettext_lazy("请填写不予受理的理由")),
         tell=lambda c: [(reporter_of(c.case), "case.rejected", _("您反映的问题 %(n)s 不予受理"))]),
    Move("merge", gettext_lazy("合并重复件"), SORTABLE, S.MERGED, (SORTER,),
         validate=merge_validate, effect=lambda c: {"merged_into": c.data["into"]}, after=merge_after,
         tell=lambda c: [(reporter_of(c.case), "case.merged", _("您反映的问题 %(n)s 已与同一问题合并办理"))],
         fields=_s({"text", "into"})),
    Move("transfer", gettext_lazy("移交110/119/120"), SORTABLE, S.TRANSFERRED, (SORTER,),
         validate=transfer_validate,
         effect=lambda c: {"transfer_service": c.data["service"], "transfer_reference": c.data["reference"]},
         tell=lambda c: [(reporter_of(c.case), "case.transferred", _("您反映的问题 %(n)s 已移交应急部门处置"))],
         fields=_s({"text", "service", "reference"})),
    Move("answer", gettext_lazy("直接答复办结"), SORTABLE, S.CLOSED, (SORTER,),
         validate=answer_validate, effect=lambda c: {"category": c.data["category"], "closed_at": c.now},
         tell=lambda c: [(recipients.reporters(c.case), "case.closed", _("您反映的问题 %(n)s 已答复"))],
         fields=_s({"text", "category"})),
    # Sorting at the community: handle it here, or send it up to the street ("吹哨").
    Move("take", gettext_lazy("社区自行处置"), _s({S.ACCEPTED}), S.IN_PROGRESS, (COMMUNITY,),
         check=take_check, validate=optional_text, effect=take_effect, after=lambda c: set_assists(c.case, [])),
    Move("escalate", gettext_lazy("上报上一级"), TO_DISPATCH, None, (HOLDER,),
         check=escalate_check, validate=optional_text, effect=escalate_effect,
         tell=lambda c: [(recipients.dispatchers(c.case), "case.escalated", _("案件 %(n)s 已提级，待派遣"))]),
    # 任务派遣: one lead and any assisting departments, or the community when the work is on the
    # access catalogue. The clock starts here.
    Move("dispatch", gettext_lazy("派遣"), TO_DISPATCH, S.DISPATCHED, (DISPATCHER,),
         validate=dispatch_validate, effect=dispatch_effect,
         after=lambda c: set_assists(c.case, c.data["assisting"]), tell=dispatch_tell, fields=DEPARTMENTS),
    Move("assign_community", gettext_lazy("派给社区"), TO_DISPATCH, S.DISPATCHED, (DISPATCHER,),
         validate=assign_validate, effect=assign_effect, after=lambda c: set_assists(c.case, []),
         tell=lambda c: [(recipients.community_staff(c.case), "case.dispatched", _("街道派给社区的案件 %(n)s"))],
         fields=_s({"text", "category"})),
    # 报到承接: the handler signs for it, or returns it with a reason; the second return is ruled on.
    Move("return", gettext_lazy("退单"), _s({S.DISPATCHED}), S.RETURNED, (HANDLER,),
         check=return_check, validate=require_text(gettext_lazy("请填写退回理由")), effect=return_effect,
         after=return_after, route=return_target,
         tell=lambda c: [(recipients.dispatchers(c.case), "case.returned", _("案件 %(n)s 被退回"))], public=False),
    Move("rule_return", gettext_lazy("退单裁定"), _s({S.ARBITRATION}), S.DISPATCHED, (DISPATCHER,),
         validate=rule_validate, effect=rule_effect, after=rule_after,
         tell=lambda c: [(recipients.handlers(c.case), "case.dispatched", _("退单裁定：案件 %(n)s 由你单位办理"))],
         public=False, fields=DEPARTMENTS - {"category"}),
    Move("start", gettext_lazy("签收办理"), _s({S.DISPATCHED}), S.IN_PROGRESS, (HANDLER,), validate=optional_text),
    # While waiting on the resident the clock stops; extensions are approved by the dispatcher.
    Move("suspend", gettext_lazy("挂起"), _s({S.IN_PROGRESS}), S.SUSPENDED, (HANDLER,),
         validate=require_text(gettext_lazy("请填写挂起原因（需要等待居民的事项）")),
         effect=lambda c: sla.pause_clock(now=c.now),
         tell=lambda c: [(reporter_of(c.case), "case.suspended", _("您反映的问题 %(n)s 需要您的配合"))]),
    Move("resume", gettext_lazy("恢复办理"), _s({S.SUSPENDED}), S.IN_PROGRESS, (HANDLER,),
         validate=optional_text, effect=lambda c: sla.resume_clock(case=c.case, now=c.now)),
    Move("request_extension", gettext_lazy("申请延期"), _s({S.IN_PROGRESS, S.SUSPENDED}), None, (HANDLER,),
         check=extension_request_check, validate=extension_request_validate, effect=extension_request_effect,
         tell=lambda c: [(recipients.approvers(c.case), "case.extension", _("案件 %(n)s 申请延期，待审批"))],
         public=False, fields=_s({"text", "hours", "days"})),
    Move("approve_extension", gettext_lazy("批准延期"), _s({S.IN_PROGRESS, S.SUSPENDED}), None, (DISPATCHER,),
         check=extension_pending_check, validate=optional_text, effect=extension_approve_effect,
         tell=lambda c: [(recipients.handlers(c.case), "case.extension", _("案件 %(n)s 的延期申请已批准"))],
         public=False),
    Move("deny_extension", gettext_lazy("驳回延期"), _s({S.IN_PROGRESS, S.SUSPENDED}), None, (DISPATCHER,),
         check=extension_pending_check, validate=require_text(gettext_lazy("请填写驳回理由")),
         effect=extension_deny_effect,
         tell=lambda c: [(recipients.handlers(c.case), "case.extension", _("案件 %(n)s 的延期申请被驳回"))],
         public=False),
    # 处理反馈 → 核查 → 结案.
    Move("handle", gettext_lazy("办结反馈"), _s({S.IN_PROGRESS}), S.HANDLED, (HANDLER,),
         validate=require_text(gettext_lazy("请填写处置结果")),
         effect=lambda c: {"handled_at": c.now, "paused_at": c.now},
         tell=lambda c: [(recipients.verifiers(c.case), "case.handled", _("案件 %(n)s 已办结，请现场核查"))],
         fields=_s({"text", "photos"})),
    Move("rework", gettext_lazy("核查不通过"), _s({S.HANDLED}), S.IN_PROGRESS, (VERIFIER,),
         validate=require_text(gettext_lazy("请填写核查不通过的原因")),
         effect=lambda c: {"handled_at": None, **sla.resume_clock(case=c.case, now=c.now)},
         tell=lambda c: [(recipients.handlers(c.case), "case.rework", _("案件 %(n)s 核查未通过，请继续处置"))],
         fields=_s({"text", "photos"})),
    Move("verify", gettext_lazy("现场核查"), _s({S.HANDLED}), S.VERIFIED, (VERIFIER,),
         validate=verify_validate,
         tell=lambda c: [(recipients.closers(c.case), "case.verified", _("案件 %(n)s 已核查，待结案"))],
         fields=_s({"text", "photos"})),
    Move("close", gettext_lazy("结案"), _s({S.VERIFIED}), S.CLOSED, (HOLDER,),
         validate=optional_text, effect=lambda c: {"closed_at": c.now},
         tell=lambda c: [(recipients.reporters(c.case), "case.closed", _("您反映的问题 %(n)s 已办结"))]),
    # 回访评价: the reporter (or the hotline calling back) rates; unsatisfied may reopen once.
    Move("rate", gettext_lazy("评价"), _s({S.CLOSED}), S.RATED, (REPORTER, CALLBACK),
         validate=rate_validate,
         effect=lambda c: {"rating": c.data["rating"], "rating_comment": c.text, "rated_at": c.now},
         tell=rate_tell, fields=_s({"text", "rating"})),
    Move("reopen", gettext_lazy("重新办理"), _s({S.RATED}), S.DISPATCHED, (REPORTER, CALLBACK),
         check=reopen_check, validate=optional_text, effect=reopen_effect, route=reopen_target,
         tell=lambda c: [(handler_or_holder(c.case), "case.reopened", _("案件 %(n)s 因反映人不满意重新办理"))]),
    # Annotations: recorded on the timeline, never a conflict for anyone else.
    Move("urge", gettext_lazy("催办"), URGEABLE, None, (OVERSEER, REPORTER),
         validate=optional_text, effect=lambda c: {"urge_count": F("urge_count") + 1},
         tell=lambda c: [(handler_or_holder(c.case), "case.urged", _("案件 %(n)s 被催办"))], annotation=True),
    Move("supervise", gettext_lazy("督办"), frozenset(OPEN), None, (LEADER, DISPATCHER),
         validate=optional_text,
         effect=lambda c: {"supervised": True, "supervised_at": c.case.supervised_at or c.now},
         tell=lambda c: [(handler_or_holder(c.case), "case.supervised", _("案件 %(n)s 已列入督办"))],
         annotation=True),
    Move("note", gettext_lazy("备注"), frozenset(Status), None, (STAFF,),
         validate=require_text(gettext_lazy("请填写备注内容")), annotation=True, public=False,
         fields=_s({"text", "photos"})),
    # The sweep's marks (system only): a warning before the deadline; a breach, which also moves
    # the case one level up.
    Move("warn", gettext_lazy("超期预警"), frozenset(CLOCK_RUNNING), None, (SYSTEM,),
         effect=lambda c: {"warned_at": c.now},
         tell=lambda c: [(recipients.handlers(c.case), "case.warning", _("案件 %(n)s 即将超期"))],
         annotation=True, public=False, condition={"warned_at__isnull": True, "paused_at__isnull": True}),
    Move("breach", gettext_lazy("超期提级"), frozenset(CLOCK_RUNNING), None, (SYSTEM,),
         effect=breach_effect,
         tell=lambda c: [
             (recipients.handlers(c.case), "case.breach", _("案件 %(n)s 已超期")),
             (recipients.dispatchers(c.case), "case.breach", _("案件 %(n)s 超期，已提级到本级督办")),
         ],
         annotation=True, public=False, condition={"breached_at__isnull": True, "paused_at__isnull": True}),
)  # fmt: skip

ACTIONS: dict[str, Move] = {}
TRANSITIONS: dict[tuple[str, str], Move] = {}
for _move in TABLE:
    ACTIONS.setdefault(_move.action, _move)
    for _source in _move.sources:
        TRANSITIONS[(_source, _move.action)] = _move
# Timeline entries that are not moves: the report itself, and a duplicate merged into this case.
ACTION_LABELS = {"report": gettext_lazy("上报"), "merge_in": gettext_lazy("重复件并入")} | {
    move.action: move.label for move in TABLE
}
SYSTEM_ACTIONS = frozenset(move.action for move in TABLE if move.parties == (SYSTEM,))


def targets(move: Move) -> set[str]:
    """Every status a move can lead to, for documentation and tests."""
    extra = {Status.ARBITRATION} if move.action == "return" else set()
    extra |= {Status.ACCEPTED} if move.action == "reopen" else set()
    return {move.target, *extra} - {None}


# ---- applying a move ------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _refuse_party(move: Move) -> Forbidden:
    who = "、".join(str(p.label) for p in move.parties)
    return Forbidden(_("只有%(who)s可以%(act)s") % {"who": who, "act": move.label})


def allowed(actor, case: Case, move: Move) -> bool:
    """Whether `actor` may make `move` on the case as it stands (data aside)."""
    if case.status not in move.sources:
        return False
    if actor is None:
        return True
    if not any(p.test(actor, case) for p in move.parties):
        return False
    try:
        if move.check:
            move.check(Ctx(case=case, actor=actor, data={}, now=timezone.now()))
    except DomainError:
        return False
    return True


def allowed_actions(*, user, case: Case) -> list[str]:
    """The actions `user` may take on the case now, in table order (for pages and the API)."""
    if user is None or not can_see(user, case):
        return []
    seen, actions = set(), []
    for move in TABLE:
        if move.action in seen or move.action in SYSTEM_ACTIONS:
            continue
        if (case.status, move.action) in TRANSITIONS and allowed(user, case, TRANSITIONS[(case.status, move.action)]):
            seen.add(move.action)
            actions.append(move.action)
    return actions


@transaction.atomic
def case_transition(
    *, case: Case, action: str, actor, expected_version: int | None = None, at: datetime | None = None, **data
) -> Case:
    """Make one move of the table on a case (see the module docstring). Returns the case as it now is.

    `at` is when the act happened, for imports and the demo; it defaults to now."""
    if action not in ACTIONS:
        raise DomainError(_("未知操作：%(a)s") % {"a": action}, field="action")
    now = at or timezone.now()
    fresh = Case.objects.select_related("category", "lead_department", "grid", "reporter").filter(pk=case.pk).first()
    if fresh is None or (actor is not None and not can_see(actor, fresh)):
        raise NotFound(_("案件不存在，或不在您的管辖范围内"))
    move = TRANSITIONS.get((fresh.status, action))
    any_move = ACTIONS[action]
    if not any_move.annotation:
        if expected_version is None:
            raise DomainError(_("请提供案件的版本号"), field="expected_version")
        if expected_version != fresh.version:
            raise Conflict(str(CONFLICT_MESSAGE))
    if move is None:
        raise DomainError(
            _("案件当前为「%(s)s」，不能%(act)s") % {"s": fresh.get_status_display(), "act": any_move.label},
            code="invalid_transition",
        )
    unknown = set(data) - move.fields
    if unknown:
        raise TypeError(f"{action} takes no {', '.join(sorted(unknown))}")
    if actor is not None and not any(p.test(actor, fresh) for p in move.parties):
        raise _refuse_party(move)
    ctx = Ctx(case=fresh, actor=actor, data=dict(data), now=now)
    counted_before = summary.fact(fresh)
    if move.check:
        move.check(ctx)
    if move.validate:
        move.validate(ctx)
    target = move.route(ctx) if move.route else move.target
    changes = move.effect(ctx) if move.effect else {}
    from_status = fresh.status
    if target and target != from_status:
        changes["status"] = target
    before = {name: _plain(getattr(fresh, name)) for name in changes}
    condition = {"pk": fresh.pk, "status": from_status, **move.condition}
    update = dict(changes)
    if not move.annotation:
        condition["version"] = fresh.version
        update["version"] = F("version") + 1
    update["updated_at"] = timezone.now()
    if Case.objects.filter(**condition).update(**update) != 1:
        raise Conflict(str(CONFLICT_MESSAGE))
    counted = [name for name, value in changes.items() if hasattr(value, "resolve_expression")]
    for name, value in changes.items():
        if name not in counted:
            setattr(fresh, name, value)
    fresh.refresh_from_db(fields=["version", "updated_at", *counted])
    event = CaseEvent.objects.create(
        case=fresh,
        at=now,
        action=action,
        from_status=from_status,
        to_status=fresh.status,
        actor=actor,
        actor_label=actor_label(actor),
        text=ctx.text,
        data=ctx.event_data,
        public=move.public,
    )
    if "photos" in move.fields and data.get("photos"):
        photos = attach(case=fresh, event=event, actor=actor, photos=data["photos"], now=now)
        event.data = {**event.data, "photos": [p.pk for p in photos]}
        event.save(update_fields=["data"])
    if move.after:
        move.after(ctx)
    audit.record(
        actor=actor,
        verb=f"case.{action}",
        target=fresh,
        scope_key=fresh.region_key,
        before=before,
        after={name: _plain(getattr(fresh, name)) for name in changes},
        note=ctx.text[:500],
    )
    if move.tell:
        for people, kind, title in move.tell(ctx):
            if people:
                notify(
                    recipients=people,
                    kind=kind,
                    title=title % {"n": fresh.number},
                    body=ctx.text,
                    link=case_link(fresh),
                    target=fresh,
                )
    case_moved.send(
        sender=Case, case=fresh, action=action, from_status=from_status, to_status=fresh.status, actor=actor
    )
    # Last, so the summary rows this move adds to stay locked only until the commit.
    summary.record(counted_before, summary.fact(fresh))
    return fresh


def case_link(case: Case) -> str:
    return f"/cases/{case.number}/"
