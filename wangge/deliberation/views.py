"""Pages of the six steps. Each view parses, calls one selector or service and renders; a refused
act comes back to its page with the reason (a role that may not act at all gets the 403 page, a
matter outside the user's place the 404)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from wangge.accounts.models import User
from wangge.accounts.roles import HEAR_MATTERS, KEEP_LEDGERS, PROPOSE_MATTER, RUN_MEETINGS, Role, require
from wangge.cases.selectors import visible_cases
from wangge.core.errors import DomainError, Forbidden, NotFound
from wangge.core.validators import parse_record_id
from wangge.regions.selectors import region_root

from . import meetings, selectors, services
from .forms import BallotForm, EvaluationForm, MatterForm, MeetingForm, ParticipantForm, StatsForm, TaskForm
from .models import Ballot, Evaluation, Home, Matter, MatterPhoto, MeetingFile, Status, Support, Vote, VoterRule
from .workflow import allowed_actions

PAGE_SIZE = 20
STEPS = [_l("居民提事"), _l("网格听事"), _l("社区议事"), _l("民主定事"), _l("协同办事"), _l("居民评事")]
STEP_OF = {
    Status.PROPOSED: 0,
    Status.HEARING: 1,
    Status.MERGED: 1,
    Status.ANSWERED: 1,
    Status.REFERRED: 1,
    Status.SCHEDULED: 2,
    Status.DECIDED: 3,
    Status.REJECTED: 3,
    Status.IN_PROGRESS: 4,
    Status.DONE: 5,
    Status.CLOSED: 5,
}


def _steps(matter) -> list[tuple[int, str, str]]:
    at = STEP_OF[matter.status]
    return [(i, label, "on" if i == at else ("past" if i < at else "")) for i, label in enumerate(STEPS)]


def _form_errors(form, error: DomainError) -> None:
    details = error.details or [{"field": error.field, "message": error.message}]
    for detail in details:
        field = detail.get("field")
        form.add_error(field if field in form.fields else None, detail["message"])


def _refused(request, error: DomainError) -> None:
    if isinstance(error, (Forbidden, NotFound)):
        raise error
    messages.error(request, error.message)


# ---- matters -----------------------------------------------------------------------------------


@login_required
def matter_list(request):
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    q = request.GET.get("q", "").strip()[:50]
    matters = selectors.matter_list(user=request.user, status=status, q=q)
    page = Paginator(matters, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "deliberation/matter_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "status": status,
            "q": q,
            "statuses": Status.choices,
            "can_propose": request.user.can(PROPOSE_MATTER),
            "can_meet": request.user.can(RUN_MEETINGS),
        },
    )


@login_required
def matter_new(request):
    require(request.user, PROPOSE_MATTER)
    places = selectors.place_options(user=request.user)
    staff = request.user.role != Role.RESIDENT
    form = MatterForm(request.POST or None, request.FILES or None, places=places, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.matter_propose(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                place=data["place"],
                address=data["address"],
                lng=data["lng"],
                lat=data["lat"],
                on_behalf_of=data.get("on_behalf_of", ""),
                photos=data["photos"],
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("已提出事项，请邀请邻居附议"))
            return redirect("deliberation:matter_detail", pk=matter.pk)
    return render(request, "deliberation/matter_form.html", {"form": form, "root": region_root(user=request.user)})


@login_required
def matter_detail(request, pk):
    user = request.user
    matter = selectors.matter_get(user=user, pk=pk)
    vote = Vote.objects.filter(matter=matter).first()
    done, total = selectors.progress(matter)
    in_scope = user.scope_key is not None and matter.region_key.startswith(user.scope_key)
    can_hear = user.can(HEAR_MATTERS) and in_scope
    can_run = user.can(RUN_MEETINGS) and in_scope
    tasks = list(matter.tasks.select_related("case", "owner"))
    # A case is linked only for those who may open it (residents see their own reports only).
    case_ids = [case_id for case_id in [matter.case_id, *(task.case_id for task in tasks)] if case_id]
    openable = set(visible_cases(user=user).filter(pk__in=case_ids).values_list("pk", flat=True)) if case_ids else set()
    context = {
        "openable_cases": openable,
        "matter": matter,
        "steps": _steps(matter),
        "events": matter.events.select_related("actor"),
        "photos": matter.photos.all(),
        "actions": {move.action for move in allowed_actions(matter, user)},
        "can_hear": can_hear,
        "can_run": can_run,
        "supported": Support.objects.filter(matter=matter, user=user).exists(),
        "can_support": matter.status == Status.PROPOSED and user.can(PROPOSE_MATTER) and matter.proposer_id != user.pk,
        "supports_needed": services.supports_needed(),
        "vote": vote,
        "my_ballot": Ballot.objects.filter(vote=vote, voter=user).first() if vote else None,
        "ballot_form": BallotForm(),
        "tasks": tasks,
        "progress": {"done": done, "total": total, "percent": round(done * 100 / total) if total else 0},
        "task_form": TaskForm(initial={"deadline": timezone.localdate() + datetime.timedelta(days=14)}),
        "evaluations": matter.evaluations.select_related("rater"),
        "ratings": selectors.rating_summary(matter),
        "my_rating": Evaluation.objects.filter(matter=matter, rater=user).first(),
        "can_rate": matter.status == Status.DONE and user.role == Role.RESIDENT,
        "evaluation_form": EvaluationForm(),
    }
    if can_hear and matter.status in (Status.PROPOSED, Status.HEARING):
        context["merge_options"] = (
            selectors.matter_list(user=user, region_key=user.scope_key)
            .exclude(pk=matter.pk)
            .exclude(status__in=[Status.MERGED, Status.ANSWERED, Status.REFERRED, Status.REJECTED, Status.CLOSED])[:50]
        )
        context["meeting_options"] = selectors.open_meetings_for(matter)[:50]
    return render(request, "deliberation/matter_detail.html", context)


def _date(value: str, field: str):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise DomainError(_("日期格式应为 YYYY-MM-DD"), field=field) from None


def _matter_pick(user, value: str, field: str) -> Matter:
    pk = parse_record_id(value, field=field, label=_("事项"))
    if pk is None:
        raise DomainError(_("请选择事项"), field=field)
    try:
        return selectors.matter_get(user=user, pk=pk)
    except NotFound:
        raise DomainError(_("所选事项不存在，或不在您的管辖范围内"), field=field) from None


@require_POST
@login_required
def matter_act(request, pk, action):
    """One act of the workflow on a matter, named in the URL."""
    user, post = request.user, request.POST
    matter = selectors.matter_get(user=user, pk=pk)
    done = _("已完成")
    try:
        if action == "support":
            services.matter_support(actor=user, matter=matter)
            done = _("已附议")
        elif action == "accept":
            services.matter_accept(actor=user, matter=matter, note=post.get("note", ""))
        elif action == "answer":
            services.matter_answer(actor=user, matter=matter, answer=post.get("answer", ""))
        elif action == "refer":
            matter = services.matter_refer(actor=user, matter=matter, note=post.get("note", ""))
            done = _("已转为案件 %(n)s") % {"n": matter.case.number}
        elif action == "merge":
            services.matter_merge(actor=user, matter=matter, into=_matter_pick(user, post.get("into", ""), "into"))
        elif action == "schedule":
            meeting_id = parse_record_id(post.get("meeting"), field="meeting", label=_("会议"))
            meeting = selectors.meeting_list(user=user).filter(pk=meeting_id).first() if meeting_id else None
            services.matter_schedule(actor=user, matter=matter, meeting=meeting)
        elif action == "vote_open":
            meetings.vote_open(actor=user, matter=matter, question=post.get("question", ""))
        elif action == "ballot":
            vote = Vote.objects.filter(matter=matter).first()
            if vote is None:
                raise DomainError(_("该事项尚未发起表决"), field="choice")
            meetings.ballot_cast(actor=user, vote=vote, choice=post.get("choice", ""))
            done = _("已投票")
        elif action == "publish":
            vote = Vote.objects.filter(matter=matter).first()
            if vote is None:
                raise DomainError(_("该事项尚未发起表决"), field="vote")
            vote = meetings.vote_publish(actor=user, vote=vote)
            done = _("表决结果已公布：%(r)s") % {"r": _("通过") if vote.passed else _("未通过")}
        elif action == "task_add":
            form = TaskForm(post)
            if not form.is_valid():
                field, errors = next(iter(form.errors.items()))
                label = form.fields[field].label if field in form.fields else ""
                raise DomainError(_("%(label)s：%(error)s") % {"label": label, "error": errors[0]}, field=field)
            services.task_add(actor=user, matter=matter, **form.cleaned_data)
            done = _("已分派任务")
        elif action == "task_done":
            task_id = parse_record_id(post.get("task"), field="task", label=_("任务"))
            task = selectors.task_get(user=user, pk=task_id) if task_id else None
            if task is None or task.matter_id != matter.pk:
                raise DomainError(_("请选择本事项的任务"), field="task")
            services.task_done(actor=user, task=task, note=post.get("note", ""))
        elif action == "finish":
            services.matter_finish(actor=user, matter=matter)
        elif action == "close":
            services.matter_close(actor=user, matter=matter)
        elif action == "evaluate":
            services.evaluation_add(
                actor=user, matter=matter, rating=post.get("rating", ""), comment=post.get("comment", "")
            )
            done = _("感谢您的评价")
        else:
            raise NotFound(_("没有这个操作"))
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, done)
    return redirect("deliberation:matter_detail", pk=matter.pk)


@login_required
def matter_photo(request, pk):
    photo = MatterPhoto.objects.select_related("matter").filter(pk=pk).first()
    if photo is None:
        raise NotFound(_("照片不存在"))
    selectors.matter_get(user=request.user, pk=photo.matter_id)
    return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


# ---- meetings ----------------------------------------------------------------------------------


@login_required
def meeting_list(request):
    found = selectors.meeting_list(user=request.user)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/meeting_list.html",
        {"page": page, "query": "", "can_meet": request.user.can(RUN_MEETINGS)},
    )


@login_required
def meeting_new(request):
    require(request.user, RUN_MEETINGS)
    places = selectors.place_options(user=request.user)
    form = MeetingForm(request.POST or None, places=places, initial={"quorum_percent": 50})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meetings.meeting_call(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("已召集议事会议，请邀请参会人员"))
            return redirect("deliberation:meeting_detail", pk=meeting.pk)
    return render(request, "deliberation/meeting_form.html", {"form": form})


@login_required
def meeting_detail(request, pk):
    user = request.user
    meeting = selectors.meeting_get(user=user, pk=pk)
    can_run = user.can(RUN_MEETINGS) and user.scope_key is not None and meeting.region_key.startswith(user.scope_key)
    can_register_voters = (
        meeting.voter_rule == VoterRule.HOUSEHOLD
        and user.can(KEEP_LEDGERS)
        and user.scope_key is not None
        and meeting.region_key.startswith(user.scope_key)
    )
    return render(
        request,
        "deliberation/meeting_detail.html",
        {
            "meeting": meeting,
            "participants": meeting.participants.select_related("user"),
            "agenda": meeting.agenda.all(),
            "files": meeting.files.all(),
            "comments": meeting.comments.select_related("author"),
            "can_run": can_run,
            "participant_form": ParticipantForm(),
            "eligible": meetings.eligible_count(meeting),
            "can_register_voters": can_register_voters,
            "households": meeting.households().select_related("building__compound")[:500],
            "registered_voters": Home.objects.filter(household__in=meeting.households()).count(),
            # who votes for which room is personal: shown to the staff who register voters only
            "household_voters": Home.objects.filter(household__in=meeting.households())
            .select_related("user", "household")
            .order_by("household_id")[:500]
            if can_register_voters
            else None,
        },
    )


@require_POST
@login_required
def meeting_act(request, pk, action):
    user, post = request.user, request.POST
    meeting = selectors.meeting_get(user=user, pk=pk)
    try:
        if action == "invite":
            meetings.participant_invite(
                actor=user,
                meeting=meeting,
                category=post.get("category", ""),
                name=post.get("name", ""),
                username=post.get("username", ""),
            )
        elif action == "attendance":
            present = [parse_record_id(value, field="present", label=_("参会人")) for value in post.getlist("present")]
            present = [pk for pk in present if pk is not None]
            meetings.attendance_record(actor=user, meeting=meeting, present=present)
        elif action == "hold":
            meetings.meeting_hold(
                actor=user, meeting=meeting, minutes=post.get("minutes", ""), files=request.FILES.getlist("files")
            )
        elif action == "voter":
            household_id = parse_record_id(post.get("household"), field="household", label=_("住户"))
            household = meeting.households().filter(pk=household_id).first() if household_id else None
            if household is None:
                raise DomainError(_("请选择本议事范围内的住户"), field="household")
            resident = User.objects.filter(username=post.get("username", "").strip(), is_active=True).first()
            if resident is None or not selectors.takes_part(resident, meeting.region_key):
                raise DomainError(_("账号不存在，或不属于本议事范围"), field="username")
            services.home_set(actor=user, user=resident, household=household)
        elif action == "comment":
            meetings.comment_add(actor=user, meeting=meeting, text=post.get("text", ""))
        else:
            raise NotFound(_("没有这个操作"))
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已保存"))
    return redirect("deliberation:meeting_detail", pk=meeting.pk)


@login_required
def meeting_file(request, pk):
    item = MeetingFile.objects.filter(pk=pk).first()
    if item is None:
        raise NotFound(_("附件不存在"))
    selectors.meeting_get(user=request.user, pk=item.meeting_id)
    return FileResponse(item.file.open("rb"), content_type=item.content_type, filename=item.original_name or None)


# ---- statistics --------------------------------------------------------------------------------


def _stats_arguments(request):
    regions = selectors.statistics_places(user=request.user)
    if not regions:
        raise NotFound(_("您的账号没有可查看统计的区域"))
    form = StatsForm(request.GET or None, regions=regions)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    today = timezone.localdate()
    end = data.get("end") or today
    start = data.get("start") or end.replace(month=1, day=1)
    if start > end:
        start, end = end, start
    region_key = data.get("region") or regions[0].key
    region = next(r for r in regions if r.key == region_key)
    return form, region, start, end


@login_required
def statistics(request):
    form, region, start, end = _stats_arguments(request)
    figures = selectors.statistics(user=request.user, region_key=region.key, start=start, end=end)
    query = request.GET.urlencode()
    return render(
        request,
        "deliberation/statistics.html",
        {
            "form": form,
            "region": region,
            "start": start,
            "end": end,
            "figures": figures,
            "query": query,
            "chart": {
                "months": figures["months"],
                "labels": {
                    "raised": _("提出事项"),
                    "meetings": _("召开议事会"),
                    "decided": _("表决通过"),
                    "done": _("办结事项"),
                },
            },
        },
        status=400 if form.errors else 200,
    )


@login_required
def statistics_xlsx(request):
    import io

    import xlsxwriter

    form, region, start, end = _stats_arguments(request)
    if form.errors:
        reasons = [
            _("%(label)s：%(error)s") % {"label": form.fields[name].label, "error": errors[0]}
            for name, errors in form.errors.items()
            if name in form.fields
        ]
        return HttpResponse("；".join(reasons), status=400, content_type="text/plain; charset=utf-8")
    figures = selectors.statistics(user=request.user, region_key=region.key, start=start, end=end)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    sheet = book.add_worksheet(_("议事协商统计"))
    sheet.set_column(0, 5, 14)
    sheet.write(0, 0, f"{region.name} {start:%Y-%m-%d} — {end:%Y-%m-%d}", book.add_format({"bold": True}))
    totals = [
        (_("提出事项"), figures["raised"]),
        (_("召开议事会"), figures["meetings"]),
        (_("表决通过"), figures["decided"]),
        (_("办结事项"), figures["done"]),
        (_("评价人次"), figures["ratings"]),
        (_("满意率（%）"), figures["satisfaction"] if figures["satisfaction"] is not None else "—"),
    ]
    for col, (label, value) in enumerate(totals):
        sheet.write(2, col, label, bold)
        sheet.write(3, col, value)
    headers = [_("月份"), _("提出事项"), _("召开议事会"), _("表决通过"), _("办结事项")]
    for col, label in enumerate(headers):
        sheet.write(5, col, label, bold)
    for row, month in enumerate(figures["months"], start=6):
        for col, key in enumerate(["month", "raised", "meetings", "decided", "done"]):
            sheet.write(row, col, month[key])
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="wangge-deliberation-{region.code}.xlsx"'
    return response
