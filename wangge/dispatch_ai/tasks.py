"""Background work: suggestions are computed off the intake request."""

from django_tasks import task

from . import services


@task()
def suggest_case(*, case_type: str, case_id: str, text: str, scope_key: str = "") -> str:
    return services.suggest_for_case(case_type=case_type, case_id=case_id, text=text, scope_key=scope_key).status
