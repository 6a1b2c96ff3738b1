"""The case workflow's side of smart dispatch (wangge.dispatch_ai): ask for a suggestion when a case
comes in, record what was finally chosen, and feed the catalogue and confirmed history to training.

Suggestions are keyed by ("cases.case", case id). Nothing here may make intake or dispatch fail: the
model runs in a background task, and recording a choice is best effort."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.core.errors import Conflict, DomainError
from wangge.dispatch_ai import hooks
from wangge.dispatch_ai import selectors as ai_selectors
from wangge.dispatch_ai import services as ai_services

from .models import Case, Category, Status
from .selectors import category_for_code, suggested_lead
from .workflow import TRANSITIONS, allowed, case_transition

log = logging.getLogger(__name__)
CASE_TYPE = "cases.case"


def request_for(case: Case) -> None:
    """Queue the model's top-3 for a new case, and the category's auto-apply rule after it: intake
    never waits for the model. A queue kept in this same database (the default backend) gets the
    task row inside the intake transaction, so the worker sees it exactly when the case commits and
    intake pays one INSERT instead of a second transaction. Any other queue is called after the
    commit, and one that is down leaves the case without a suggestion instead of refusing it."""
    from .tasks import suggest_case

    case_id = case.pk
    if _queue_in_this_database(suggest_case):
        suggest_case.enqueue(case_id=case_id)
        return

    def enqueue():
        try:
            suggest_case.enqueue(case_id=case_id)
        except Exception:  # the page then says there is no suggestion; the case itself is in
            log.exception("dispatch suggestion could not be queued for case %s", case_id)

    transaction.on_commit(enqueue)


def _queue_in_this_database(task) -> bool:
    """Whether the task's backend stores tasks as rows of the database the case is written to."""
    from django.db import router
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    try:
        backend = task.get_backend()
    except Exception:  # a queue that cannot even name its backend is treated as one elsewhere
        return False
    return isinstance(backend, DatabaseBackend) and router.db_for_write(DBTaskResult) == router.db_for_write(Case)


def suggest_and_apply(case_id: int) -> str:
    """The background half of intake: store the model's suggestions for the case, then apply the
    best one if its category's auto-apply rule allows. Returns the suggestion's status."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return "missing"
    suggestion = ai_services.suggest_for_case(
        case_type=CASE_TYPE, case_id=str(case.pk), text=case.text, scope_key=case.region_key
    )
    auto_apply(case, suggestion)
    return suggestion.status


def _auto_category(case: Case, candidates: list) -> Category | None:
    """The category of the top candidate if it applies at the case's place, has auto-apply on
    and the candidate's confidence reaches its threshold."""
    if not candidates:
        return None
    best = candidates[0]
    category = category_for_code(code=best["label"], region_key=case.region_key)
    if category is None or not category.auto_apply or best["confidence"] < category.auto_apply_threshold:
        return None
    return category


def auto_apply(case: Case, suggestion) -> Case | None:
    """Apply the top suggestion as the system when its category allows it, to a case nobody has
    touched since it was reported (its version as read now). Returns the moved case, or None when
    the rule does not allow it or someone got there first (the conflict path: their move stands).
    Never raises a domain error: a suggestion is never worth a failed intake."""
    if case.status != Status.REPORTED or _auto_category(case, suggestion.candidates or []) is None:
        return None
    try:
        return apply_suggestion(
            case=case, code=suggestion.candidates[0]["label"], actor=None, expected_version=case.version, auto=True
        )
    except Conflict as error:
        log.info("auto-apply for case %s gave way: %s", case.pk, error.message)
    except DomainError as error:
        log.warning("auto-apply for case %s not done: %s", case.pk, error.message)
    return None


def record_final(case: Case, actor, *, auto: bool = False) -> None:
    """Record the category the case was filed or went out under: accepted, overridden or
    unassisted. Called in the transaction of the move, so the record exists exactly when it does;
    the last move that sets the category is the one that counts."""
    if not case.category_id:
        return
    try:
        ai_services.record_choice(
            case_type=CASE_TYPE,
            case_id=str(case.pk),
            label=case.category.code,
            actor=actor,
            auto=auto,
            scope_key=case.region_key,
        )
    except DomainError as error:  # a record of the choice is worth less than the dispatch itself
        log.warning("dispatch choice for case %s not recorded: %s", case.pk, error.message)


def view_for(case: Case, categories) -> dict:
    """What the case page shows: the suggestions with catalogue names and the department each
    would go to at the case's place."""
    suggestion = ai_selectors.suggestion_for(case_type=CASE_TYPE, case_id=str(case.pk))
    departments = {}
    for category in categories:
        lead = suggested_lead(case=case, category=category)
        departments[category.code] = lead.name if lead else ""
    return ai_selectors.suggestion_view(suggestion, names={c.code: c.name for c in categories}, departments=departments)


@transaction.atomic
def apply_suggestion(*, case: Case, code: str, actor, expected_version: int | None, auto: bool = False) -> Case:
    """Take one of the case's suggested categories in one step: file the case under it if it is
    still reported, then dispatch it to the category's department if the actor dispatches here (the
    system always does). Each step is the ordinary workflow move, with its scope, party and version
    checks; a suggestion no longer among the case's current ones is refused. Sorters and
    dispatchers; the system (actor None, `auto=True`) under a category's auto-apply rule."""
    code = (code or "").strip()
    suggestion = ai_selectors.suggestion_for(case_type=CASE_TYPE, case_id=str(case.pk))
    if suggestion is None or code not in {c["label"] for c in suggestion.candidates or []}:
        raise Conflict(_("该建议已更新或不再适用，请刷新页面后重新选择"), code="stale_suggestion", field="category")
    category = category_for_code(code=code, region_key=case.region_key)
    if category is None:
        raise DomainError(
            _("建议的类别 %(c)s 不在本地的事项清单中，请在表单中选择类别") % {"c": code}, field="category"
        )
    if auto and _auto_category(case, suggestion.candidates) != category:
        raise DomainError(_("该类别未开启自动采用，或建议的置信度不够"), code="auto_not_allowed", field="category")
    moved = case
    if case.status == Status.REPORTED:
        moved = case_transition(
            case=case, action="accept", actor=actor, expected_version=expected_version, category=category
        )
        expected_version = moved.version
        dispatch = TRANSITIONS.get((moved.status, "dispatch"))
        if dispatch is None or not allowed(actor, moved, dispatch):
            record_final(moved, actor, auto=auto)  # filed; the community decides what comes next
            return moved
    lead = suggested_lead(case=moved, category=category)
    if lead is None:
        raise DomainError(
            _("「%(name)s」没有负责本地的责任部门，请在派遣表单中选择主办部门") % {"name": category.name},
            field="category",
        )
    moved = case_transition(
        case=moved,
        action="dispatch",
        actor=actor,
        expected_version=expected_version,
        category=category,
        lead=lead,
        assisting=[],
        text=_("系统按派单建议自动派遣") if auto else "",
    )
    record_final(moved, actor, auto=auto)
    return moved


def top_code(view: dict, categories) -> str:
    """The best suggestion that is a category at the case's place, or ""."""
    codes = {c.code for c in categories}
    return next((row["label"] for row in view.get("rows", []) if row["label"] in codes), "")


def catalogue_entries():
    """(code, name, keywords) of every active category: the model's cold start."""
    for code, name, parent in Category.objects.filter(is_active=True).values_list("code", "name", "parent__name"):
        yield code, name, [parent] if parent else []


def confirmed_history():
    """(text, final category code) of cases dispatched or closed under a category."""
    done = Case.objects.filter(category__isnull=False, dispatched_at__isnull=False)
    yield from done.values_list("text", "category__code").iterator(chunk_size=2000)


def register() -> None:
    hooks.set_catalogue_source(catalogue_entries)
    hooks.set_history_source(confirmed_history)
