from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wangge.core.errors import NotFound
from wangge.core.scope import restrict

from .models import ImportJob


def job_list(*, user, ledger: str = "") -> QuerySet:
    """The user's own import jobs inside their current scope, newest first. A job holds the
    uploader's file and its errors, so nobody else sees it."""
    if user is None or not user.is_authenticated:
        return ImportJob.objects.none()
    jobs = restrict(ImportJob.objects.filter(actor=user), user, "scope_key")
    if ledger:
        jobs = jobs.filter(ledger=ledger)
    return jobs.order_by("-created_at", "-id")


def job_get(*, user, pk: int) -> ImportJob:
    job = job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise NotFound(_("未找到该导入任务，或不在您的管辖范围内"))
    return job
