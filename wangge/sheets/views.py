"""Pages: a ledger's import page (upload → preview → commit → result), the job page with its
progress bar, and export. Rules live in the services; a page never shows more than the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import EXPORT_LEDGERS, IMPORT_LEDGERS, REVEAL_PII, require
from wangge.core.errors import DomainError

from . import selectors, services
from .api import _download
from .forms import ExportForm, UploadForm
from .models import JobStatus
from .reader import max_rows
from .spec import find, ledgers


@login_required
def index(request):
    user = request.user
    if not (user.can(IMPORT_LEDGERS) or user.can(EXPORT_LEDGERS)):
        require(user, IMPORT_LEDGERS)  # the refusal page
    visible = [spec for spec in ledgers() if services.may_import(user, spec) or services.may_export(user, spec)]
    return render(
        request,
        "sheets/index.html",
        {"ledgers": visible, "jobs": selectors.job_list(user=user)[:20]},
    )


def _ledger_context(request, spec, upload_form=None, export_form=None):
    user = request.user
    can_import = services.may_import(user, spec)
    return {
        "spec": spec,
        "can_import": can_import,
        "can_export": services.may_export(user, spec),
        "can_reveal": user.can(REVEAL_PII),
        "upload_form": upload_form or UploadForm(),
        "export_form": export_form or ExportForm(),
        "jobs": selectors.job_list(user=user, ledger=spec.name)[:10] if can_import else [],
        "max_rows": max_rows(),
        "max_mb": services.max_upload_bytes() // 1048576,
    }


@login_required
def ledger_page(request, ledger):
    """GET: the ledger's import and export page. POST: upload a file; the dry run starts and the
    job page follows."""
    spec = find(ledger)
    user = request.user
    if request.method == "POST" or spec is None or not services.may_export(user, spec):
        spec = services.ledger_for(user=user, name=ledger, capability=IMPORT_LEDGERS)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > services.max_upload_bytes():
                raise services.too_large(upload.size)
            job = services.import_upload(
                actor=user, ledger=spec.name, file_name=upload.name, data=upload.read(), commit=False
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            return redirect("sheets:job", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "sheets/ledger.html", _ledger_context(request, spec, upload_form=form), status=status)


@login_required
def template_download(request, ledger):
    return _download(*services.template_for(actor=request.user, ledger=ledger))


def _job_context(request, job):
    return {"job": job, "spec": find(job.ledger)}


@login_required
def job_detail(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    return render(request, "sheets/job.html", _job_context(request, job))


@login_required
def job_status(request, pk):
    """The job's status block alone: htmx polls it every second while the job runs."""
    job = selectors.job_get(user=request.user, pk=pk)
    return render(request, "sheets/_job_status.html", _job_context(request, job))


@login_required
@require_POST
def job_commit(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    try:
        job = services.import_commit(actor=request.user, job=job)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if job.status == JobStatus.COMMITTED:
            messages.success(request, _("已导入：新增%(n)d条，更新%(u)d条") % {"n": job.new, "u": job.updated})
    return redirect("sheets:job", pk=pk)


@login_required
def job_errors(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    return _download(*services.error_report_of(actor=request.user, job=job))


@login_required
@require_POST
def export(request, ledger):
    spec = services.ledger_for(user=request.user, name=ledger, capability=EXPORT_LEDGERS)
    form = ExportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            return _download(
                *services.export_ledger(
                    actor=request.user,
                    ledger=spec.name,
                    region_code=data["region"].strip(),
                    reveal=data["reveal"],
                    reason=data["reason"],
                )
            )
        except DomainError as error:
            if error.status != 400:
                raise
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
    return render(request, "sheets/ledger.html", _ledger_context(request, spec, export_form=form), status=400)
