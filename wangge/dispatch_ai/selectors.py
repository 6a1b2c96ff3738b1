"""Reads of the dispatch classifier's records."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from .models import ModelVersion, Outcome, Suggestion


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(active=True).defer("artefact").first()


def version_list():
    """All versions, newest first, without their (large) artefacts."""
    return ModelVersion.objects.defer("artefact").order_by("-id")


def suggestion_for(*, case_type: str, case_id: str) -> Suggestion | None:
    """The stored suggestion for one case (the case app has already checked the user may see it)."""
    return Suggestion.objects.filter(case_type=case_type, case_id=str(case_id)).first()


def acceptance_summary(*, scope_key: str = "", version: ModelVersion | None = None) -> dict:
    """How often dispatchers took a suggestion: counts by outcome, and top-1 / top-3 acceptance
    among decided cases that had suggestions. `scope_key` limits to a region prefix."""
    rows = Suggestion.objects.all()
    if scope_key:
        rows = rows.filter(scope_key__startswith=scope_key)
    if version is not None:
        rows = rows.filter(model_version=version)
    counts = rows.aggregate(
        pending=Count("id", filter=Q(outcome=Outcome.PENDING)),
        accepted=Count("id", filter=Q(outcome=Outcome.ACCEPTED)),
        accepted_top1=Count("id", filter=Q(outcome=Outcome.ACCEPTED, chosen_rank=1)),
        overridden=Count("id", filter=Q(outcome=Outcome.OVERRIDDEN)),
        unassisted=Count("id", filter=Q(outcome=Outcome.UNASSISTED)),
        auto_applied=Count("id", filter=Q(auto_applied=True)),
    )
    assisted = counts["accepted"] + counts["overridden"]
    counts["top1_rate"] = round(counts["accepted_top1"] / assisted, 4) if assisted else None
    counts["top3_rate"] = round(counts["accepted"] / assisted, 4) if assisted else None
    return counts


def suggestion_view(
    suggestion: Suggestion | None, *, names: dict[str, str] | None = None, departments: dict[str, str] | None = None
) -> dict:
    """What the `dispatch_ai/_suggestions.html` partial shows for one case: rows with the category
    name (from the catalogue, via `names`), its department (via `departments`: only labels found
    there can be taken with one click), its code and the confidence in whole percent."""
    from .runtime import MESSAGES

    names, departments = names or {}, departments or {}
    if suggestion is None:  # not asked yet: the worker does so shortly after a case comes in
        return {"rows": [], "message": _("建议尚未生成，稍后刷新本页即可看到；也可直接人工选择类别"), "decided": False}
    rows = [
        {
            "label": c["label"],
            "name": names.get(c["label"], c["label"]),
            "department": departments.get(c["label"], ""),
            "applicable": c["label"] in names,
            "confidence": c["confidence"],
            "percent": round(c["confidence"] * 100),
        }
        for c in suggestion.candidates or []
    ]
    return {
        "rows": rows,
        "message": str(MESSAGES.get(suggestion.status, "")),
        "decided": suggestion.outcome != Outcome.PENDING,
        "outcome": suggestion.outcome,
        "final_label": suggestion.final_label,
        "auto_applied": suggestion.auto_applied,
    }
