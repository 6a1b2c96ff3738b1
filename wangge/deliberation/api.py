"""Deliberation API: list and read the matters of one's place, propose, support and vote. Thin:
each endpoint finds the object through a scoped selector (out of scope is the same 404 as
missing) and calls one service."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from wangge.core.errors import DomainError
from wangge.core.pagination import BoundedPagination

from . import meetings, selectors, services
from .models import Vote
from .schemas import BallotIn, BallotOut, MatterListOut, MatterOut, ProposeIn

router = Router(tags=["deliberation"])


@router.get("/deliberation/matters", response=list[MatterListOut], summary="议事事项列表（本人所在范围）")
@paginate(BoundedPagination, page_size=50)
def list_matters(request: HttpRequest, status: str = "", q: str = ""):
    return selectors.matter_list(user=request.user, status=status, q=q)


@router.get("/deliberation/matters/{matter_id}", response=MatterOut, summary="议事事项详情：表决结果、办理进度和评价")
def get_matter(request: HttpRequest, matter_id: int):
    return selectors.matter_get(user=request.user, pk=matter_id)


@router.post("/deliberation/matters", response={201: MatterOut}, summary="居民提事")
def propose(request: HttpRequest, payload: ProposeIn):
    matter = services.matter_propose(actor=request.user, **payload.dict())
    return Status(201, selectors.matter_get(user=request.user, pk=matter.pk))


@router.post("/deliberation/matters/{matter_id}/support", response=MatterOut, summary="附议（每人一次）")
def support(request: HttpRequest, matter_id: int):
    matter = selectors.matter_get(user=request.user, pk=matter_id)
    services.matter_support(actor=request.user, matter=matter)
    return selectors.matter_get(user=request.user, pk=matter_id)


@router.post(
    "/deliberation/matters/{matter_id}/ballot",
    response={201: BallotOut},
    summary="投票（每人一票，按户表决时每户一票）",
)
def vote(request: HttpRequest, matter_id: int, payload: BallotIn):
    matter = selectors.matter_get(user=request.user, pk=matter_id)
    current = Vote.objects.filter(matter=matter).first()
    if current is None:
        raise DomainError(_("该事项尚未发起表决"), field="matter_id")
    ballot = meetings.ballot_cast(actor=request.user, vote=current, choice=payload.choice)
    return Status(201, {"vote_id": current.pk, "choice": ballot.choice})
