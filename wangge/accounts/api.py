from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from wangge.core.pagination import BoundedPagination

from . import selectors, services
from .schemas import MeOut, UserCreateIn, UserOut, UserUpdateIn

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="当前用户与权限")
def me(request: HttpRequest):
    return request.user


@router.get("/users", response=list[UserOut], summary="用户列表（管理员，限管辖范围）")
@paginate(BoundedPagination, page_size=100)
def list_users(request: HttpRequest, role: str = "", q: str = ""):
    return selectors.user_list(user=request.user, role=role, q=q)


@router.post("/users", response={201: UserOut}, summary="创建用户并指定角色和管辖范围")
def create_user(request: HttpRequest, payload: UserCreateIn):
    user = services.user_create(actor=request.user, **payload.dict())
    return Status(201, user)


@router.get("/users/{username}", response=UserOut, summary="用户详情")
def get_user(request: HttpRequest, username: str):
    return selectors.user_get(user=request.user, username=username)


@router.patch("/users/{username}", response=UserOut, summary="修改用户角色、范围或状态")
def update_user(request: HttpRequest, username: str, payload: UserUpdateIn):
    target = selectors.user_get(user=request.user, username=username)
    return services.user_update(actor=request.user, user=target, **payload.dict(exclude_unset=True))
