"""The case workflow's side of smart dispatch (wangge.dispatch_ai): ask for a suggestion when a case
comes in, record what was finally chosen, and feed the catalogue and confirmed history to training.

Suggestions are keyed by ("cases.case", case id). Nothing here may make intake or dispatch fail: the
model runs in a background task, and recording a choice is best effort."""

import logging

from wangge.core.errors import DomainError
from wangge.dispatch_ai import hooks
from wangge.dispatch_ai import selectors as ai_selectors
from wangge.dispatch_ai import services as ai_services

from .models import Case, Category

log = logging.getLogger(__name__)
CASE_TYPE = "cases.case"


def request_for(case: Case) -> None:
    """Queue the model's top-3 for a new case (after commit; intake never waits for it)."""
    ai_services.request_suggestion(case_type=CASE_TYPE, case_id=str(case.pk), text=case.text, scope_key=case.region_key)


def record_final(case: Case, actor) -> None:
    """Record the category the case went out under: accepted, overridden or unassisted."""
    if not case.category_id:
        return
    try:
        ai_services.record_choice(
            case_type=CASE_TYPE, case_id=str(case.pk), label=case.category.code, actor=actor, scope_key=case.region_key
        )
    except DomainError as error:  # a record of the choice is worth less than the dispatch itself
        log.warning("dispatch choice for case %s not recorded: %s", case.pk, error.message)


def view_for(case: Case, categories) -> dict:
    """What the case page shows: the suggestions with catalogue names."""
    suggestion = ai_selectors.suggestion_for(case_type=CASE_TYPE, case_id=str(case.pk))
    return ai_selectors.suggestion_view(suggestion, names={c.code: c.name for c in categories})


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
