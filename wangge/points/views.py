"""Pages of the points app. Each view parses a form, calls one selector or service and renders;
scope and rules live below, so a page never shows or does more than the API would."""

import uuid
from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import (
    EDIT_POINT_RULES,
    MANAGE_UNIT_SCORES,
    RUN_REWARDS,
    SELECT_MODELS,
    VIEW_POINTS,
    require,
)
from wangge.core.errors import DomainError
from wangge.core.validators import parse_record_id

from . import scores, selectors, services
from .exports import XLSX, workbook
from .forms import (
    AccountFilterForm,
    AdjustForm,
    LinkUserForm,
    ModelForm,
    RankingForm,
    RedeemForm,
    ReverseForm,
    RewardEditForm,
    RewardForm,
    RuleForm,
    ScoreLineForm,
    ScoreYearForm,
    TimeBankForm,
)
from .models import AccountKind, ScoreLine

PAGE_SIZE = 30


def _apply_domain_error(form, error: DomainError) -> None:
    details = error.details or [{"field": error.field, "message": error.message}]
    for detail in details:
        field = detail.get("field")
        form.add_error(field if field in form.fields else None, detail["message"])


def _refusal(request, error: DomainError) -> None:
    if error.status in (403, 404):
        raise error
    messages.error(request, error.message)


def _download(name: str, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def index(request):
    if request.user.can(VIEW_POINTS):
        return redirect("points:account_list")
    return redirect("points:mine")


# ---- accounts and statements ----------------------------------------------------------------


def _statement_rows(entries) -> list[dict]:
    rows = []
    for entry in entries:
        movement = entry.movement
        rows.append(
            {
                "entry": entry,
                "movement": movement,
                "date": movement.occurred_on,
                "label": movement.label,
                "kind": movement.get_kind_display(),
                "points": entry.points,
                "hours": entry.hours,
            }
        )
    return rows


@login_required
def mine(request):
    """我的积分: one's own balance, time-bank hours and statement, and the counter of one's community."""
    account = selectors.my_account(user=request.user)
    entries = selectors.statement(account=account)[:200] if account else []
    return render(
        request,
        "points/mine.html",
        {
            "account": account,
            "rows": _statement_rows(entries),
            "rewards": selectors.reward_list(user=request.user, active_only=True)[:50],
        },
    )


@login_required
def account_list(request):
    form = AccountFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    accounts = selectors.account_list(user=request.user, q=filters.get("q", ""), kind=filters.get("kind", ""))
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    for account in page:
        account.shown_name = selectors.name_for(request.user, account)
    return render(request, "points/account_list.html", {"form": form, "page": page, "query": query.urlencode()})


def _redeem_form(request, account, data=None) -> RedeemForm | None:
    if not request.user.can(RUN_REWARDS) or account.kind not in (AccountKind.PERSON, AccountKind.UNIT):
        return None
    form = RedeemForm(data, initial={"token": uuid.uuid4().hex})
    rewards = selectors.reward_list(user=request.user, active_only=True).filter(stock__gt=0)
    form.fields["reward"].widget.choices = [
        (r.pk, _("%(name)s（%(points)d分，库存%(stock)d）") % {"name": r.name, "points": r.points, "stock": r.stock})
        for r in rewards
    ]
    return form


@login_required
def account_detail(request, pk):
    account = selectors.account_get(user=request.user, pk=pk)
    if account.user_id == request.user.pk and not request.user.can(VIEW_POINTS):
        return redirect("points:mine")
    return _account_page(request, account)


def _account_page(request, account, *, redeem_form=None, time_bank_form=None, status: int = 200):
    """The account's page; a counter form that was refused comes back bound, with its errors
    beside its fields and what staff typed still in it."""
    user = request.user
    page = Paginator(selectors.statement(account=account), 50).get_page(request.GET.get("page"))
    if time_bank_form is None and user.can(RUN_REWARDS) and account.kind == AccountKind.PERSON:
        time_bank_form = TimeBankForm(initial={"token": uuid.uuid4().hex})
    return render(
        request,
        "points/account_detail.html",
        {
            "account": account,
            "shown_name": selectors.name_for(user, account),
            "page": page,
            "rows": _statement_rows(page),
            "redeem_form": redeem_form or _redeem_form(request, account),
            "time_bank_form": time_bank_form,
            "reverse_form": ReverseForm() if user.can(RUN_REWARDS) else None,
            "link_form": LinkUserForm()
            if user.can(RUN_REWARDS) and account.kind == AccountKind.PERSON and not account.user_id
            else None,
        },
        status=status,
    )


@login_required
@require_POST
def account_link_user(request, pk):
    account = selectors.account_get(user=request.user, pk=pk)
    form = LinkUserForm(request.POST)
    try:
        services.account_link_user(
            actor=request.user, account=account, username=form.cleaned_data["username"] if form.is_valid() else ""
        )
    except DomainError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("已关联登录账号，居民可在“我的积分”查看"))
    return redirect("points:account_detail", pk=account.pk)


def _statement_export(user, account) -> HttpResponse:
    rows = [
        [
            e.movement.occurred_on.isoformat(),
            str(e.movement.get_kind_display()),
            e.movement.label,
            e.points,
            float(e.hours),
            e.movement.key,
        ]
        for e in selectors.statement(account=account).iterator(chunk_size=1000)
    ]
    name = selectors.name_for(user, account)
    note = _("%(name)s 积分明细：余额 %(b)d 分，时间银行 %(h)s 小时（导出于 %(t)s）") % {
        "name": name,
        "b": account.balance,
        "h": account.hours,
        "t": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    headers = [_("日期"), _("类型"), _("摘要"), _("积分"), _("时间银行（小时）"), _("业务编号")]
    return _download(f"积分明细-{name}.xlsx", workbook(_("积分明细"), note, headers, rows))


@login_required
def account_export(request, pk):
    return _statement_export(request.user, selectors.account_get(user=request.user, pk=pk))


@login_required
def mine_export(request):
    account = selectors.my_account(user=request.user)
    if account is None:
        messages.info(request, _("您还没有积分记录"))
        return redirect("points:mine")
    return _statement_export(request.user, account)


@login_required
@require_POST
def account_redeem(request, pk):
    account = selectors.account_get(user=request.user, pk=pk)
    require(request.user, RUN_REWARDS)
    form = _redeem_form(request, account, request.POST)
    if form is None:
        messages.error(request, _("该账户不能兑换"))
        return redirect("points:account_detail", pk=account.pk)
    if not form.is_valid():
        return _account_page(request, account, redeem_form=form, status=400)
    try:
        reward = selectors.reward_get(user=request.user, pk=form.cleaned_data["reward"])
        redemption = services.redeem(
            actor=request.user,
            reward=reward,
            account=account,
            quantity=form.cleaned_data["quantity"],
            key=form.cleaned_data["token"],
        )
    except DomainError as error:
        if error.status == 403:
            raise
        _apply_domain_error(form, error)
        return _account_page(request, account, redeem_form=form, status=400)
    messages.success(request, _("已兑换：%(label)s") % {"label": redemption.movement.label})
    return redirect("points:account_detail", pk=account.pk)


@login_required
@require_POST
def account_time_bank(request, pk):
    account = selectors.account_get(user=request.user, pk=pk)
    require(request.user, RUN_REWARDS)
    form = TimeBankForm(request.POST)
    if not form.is_valid():
        return _account_page(request, account, time_bank_form=form, status=400)
    data = form.cleaned_data
    try:
        movement = services.time_bank_withdraw(
            actor=request.user,
            account=account,
            hours=data["hours"],
            service=data["service"],
            provider=data["provider"],
            key=data["token"],
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        _apply_domain_error(form, error)
        return _account_page(request, account, time_bank_form=form, status=400)
    messages.success(request, _("已支取：%(label)s") % {"label": movement.label})
    return redirect("points:account_detail", pk=account.pk)


@login_required
@require_POST
def movement_reverse(request, pk):
    movement = selectors.movement_get(user=request.user, pk=pk)
    form = ReverseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.reverse(actor=request.user, movement=movement, reason=reason)
    except DomainError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("已冲正：%(label)s") % {"label": movement.label})
    # back to the statement the reversal was made from; a mangled id only loses that convenience
    try:
        account_id = parse_record_id(request.POST.get("account"), field="account", label=_("积分账户"))
    except DomainError:
        account_id = None
    if account_id is not None:
        return redirect("points:account_detail", pk=account_id)
    return redirect("points:account_list")


# ---- rewards --------------------------------------------------------------------------------


@login_required
def reward_list(request):
    user = request.user
    can_run = user.can(RUN_REWARDS)
    form = RewardForm(request.POST or None) if can_run else None
    if request.method == "POST":
        require(user, RUN_REWARDS)
        if form.is_valid():
            try:
                reward = services.reward_create(actor=user, **form.cleaned_data)
            except DomainError as error:
                _apply_domain_error(form, error)
            else:
                messages.success(request, _("已上架 %(name)s") % {"name": reward.name})
                return redirect("points:reward_list")
    rewards = selectors.reward_list(user=user)
    redemptions = selectors.redemption_list(user=user)[:20] if user.can(VIEW_POINTS) else []
    return render(
        request,
        "points/reward_list.html",
        {"rewards": rewards, "form": form, "can_run": can_run, "redemptions": redemptions},
    )


@login_required
def reward_edit(request, pk):
    reward = selectors.reward_get(user=request.user, pk=pk)
    require(request.user, RUN_REWARDS)
    initial = {
        "points": reward.points,
        "stock_added": 0,
        "description": reward.description,
        "is_active": reward.is_active,
    }
    form = RewardEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.reward_update(actor=request.user, reward=reward, **form.cleaned_data)
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            messages.success(request, _("已保存 %(name)s") % {"name": reward.name})
            return redirect("points:reward_list")
    return render(request, "points/form.html", {"form": form, "title": _("修改物品"), "subject": reward.name})


# ---- rankings -------------------------------------------------------------------------------


def _ranking_arguments(request) -> tuple[RankingForm, dict]:
    year, quarter = selectors.current_quarter()
    data = request.GET.copy() if request.GET else None
    if data is not None:
        data.setdefault("year", str(year))
        data.setdefault("quarter", str(quarter))
        data.setdefault("level", "grid")
    form = RankingForm(data, initial={"year": year, "quarter": quarter, "level": "grid"})
    if data is not None and form.is_valid():
        return form, form.cleaned_data
    return form, {"year": year, "quarter": quarter, "level": "grid"}


@login_required
def rankings(request):
    form, arguments = _ranking_arguments(request)
    tables = selectors.rankings(user=request.user, **arguments)
    return render(request, "points/rankings.html", {"form": form, "tables": tables, "arguments": arguments})


@login_required
def rankings_export(request):
    _form, arguments = _ranking_arguments(request)
    tables = selectors.rankings(user=request.user, limit=1000, **arguments)
    rows = [[t["area_name"], r["rank"], r["name"], r["points"], float(r["hours"])] for t in tables for r in t["rows"]]
    note = _("%(y)d年第%(q)d季度积分排名（服务所得积分，已扣除冲正）") % {
        "y": arguments["year"],
        "q": arguments["quarter"],
    }
    headers = [_("区域"), _("名次"), _("姓名"), _("积分"), _("时间银行（小时）")]
    name = f"积分排名-{arguments['year']}Q{arguments['quarter']}.xlsx"
    return _download(name, workbook(_("积分排名"), note, headers, rows))


# ---- rules ----------------------------------------------------------------------------------


@login_required
def rules(request):
    """Points per activity type and the lines of the unit score, one small form per row."""
    require(request.user, EDIT_POINT_RULES)
    failed = None
    if request.method == "POST":
        if "measure" in request.POST:
            failed = ScoreLineForm(request.POST)
            if failed.is_valid():
                try:
                    scores.score_line_update(actor=request.user, **failed.cleaned_data)
                except DomainError as error:
                    _apply_domain_error(failed, error)
                else:
                    messages.success(request, _("已保存评分项"))
                    return redirect("points:rules")
        else:
            failed = RuleForm(request.POST)
            if failed.is_valid():
                try:
                    services.rule_update(actor=request.user, **failed.cleaned_data)
                except DomainError as error:
                    _apply_domain_error(failed, error)
                else:
                    messages.success(request, _("已保存积分规则"))
                    return redirect("points:rules")
    rule_forms = []
    for rule in selectors.rule_table():
        form = RuleForm(
            initial={
                "activity_type": rule.activity_type,
                "points_per_service": rule.points_per_service,
                "points_per_hour": rule.points_per_hour,
                "hours_factor": rule.hours_factor,
                "is_active": rule.is_active,
            }
        )
        if isinstance(failed, RuleForm) and failed.data.get("activity_type") == rule.activity_type:
            form = failed
        rule_forms.append((rule, form))
    line_forms = []
    for line in ScoreLine.objects.all():
        form = ScoreLineForm(
            initial={
                "measure": line.measure,
                "points_each": line.points_each,
                "cap": line.cap,
                "explanation": line.explanation,
                "is_active": line.is_active,
            }
        )
        if isinstance(failed, ScoreLineForm) and failed.data.get("measure") == line.measure:
            form = failed
        line_forms.append((line, form))
    return render(request, "points/rules.html", {"rule_forms": rule_forms, "line_forms": line_forms})


# ---- model selections -----------------------------------------------------------------------


@login_required
def models_page(request):
    user = request.user
    form = None
    if user.can(SELECT_MODELS):
        form = ModelForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        require(user, SELECT_MODELS)
        if form.is_valid():
            data = dict(form.cleaned_data)
            account_id = data.pop("account")
            try:
                account = selectors.account_get(user=user, pk=account_id) if account_id else None
                services.model_select(actor=user, account=account, **data)
            except DomainError as error:
                if error.status == 404:
                    error.field = "account"
                _apply_domain_error(form, error)
            else:
                messages.success(request, _("已记录先进典型"))
                return redirect("points:models")
    selections = selectors.model_list(user=user)
    page = Paginator(selections, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "points/models.html", {"form": form, "page": page})


# ---- unit scores ----------------------------------------------------------------------------


def _year(request) -> int:
    form = ScoreYearForm(request.GET or None)
    return form.cleaned_data["year"] if form.is_valid() else timezone.localdate().year


@login_required
def unit_scores(request):
    year = _year(request)
    latest = list(scores.latest_scores(user=request.user, year=year))
    scored = {s.unit_id for s in latest}
    unscored = scores.units_in_scope(user=request.user).exclude(pk__in=scored)[:200]
    return render(
        request,
        "points/unit_scores.html",
        {
            "year": year,
            "scores": latest,
            "honoured": [s for s in latest if s.honoured],
            "barred": [s for s in latest if s.barred],
            "unscored": unscored,
            "can_manage": request.user.can(MANAGE_UNIT_SCORES),
            "year_form": ScoreYearForm(initial={"year": year}),
        },
    )


@login_required
def unit_score_detail(request, unit_pk):
    unit = scores.unit_get(user=request.user, pk=unit_pk)
    can_manage = request.user.can(MANAGE_UNIT_SCORES)
    year = _year(request)
    adjust_form = AdjustForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        require(request.user, MANAGE_UNIT_SCORES)
        try:
            if request.POST.get("action") == "adjust":
                if adjust_form.is_valid():
                    scores.score_adjust(
                        actor=request.user, unit=unit, year=request.POST.get("year"), **adjust_form.cleaned_data
                    )
                    messages.success(request, _("已加减分并重新评分"))
                    return redirect(f"{request.path}?year={request.POST.get('year')}")
            else:
                score = scores.unit_score_compute(actor=request.user, unit=unit, year=request.POST.get("year"))
                messages.success(
                    request,
                    _("%(name)s %(y)d年度评分：%(t)s分") % {"name": unit.name, "y": score.year, "t": score.total},
                )
                return redirect(f"{request.path}?year={score.year}")
        except DomainError as error:
            if error.status in (403, 404):
                raise
            if adjust_form is not None and request.POST.get("action") == "adjust":
                _apply_domain_error(adjust_form, error)
            else:
                messages.error(request, error.message)
    history = [s for s in scores.score_history(user=request.user, unit=unit) if s.year == year]
    preview = scores.score_lines_for(unit, year)
    return render(
        request,
        "points/unit_score_detail.html",
        {
            "unit": unit,
            "year": year,
            "current": history[0] if history else None,
            "history": history,
            "preview": preview,
            "preview_total": sum((Decimal(line["points"]) for line in preview), Decimal(0)),
            "can_manage": can_manage,
            "adjust_form": adjust_form,
        },
    )
