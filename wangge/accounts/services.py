"""Writes to accounts. Every function is atomic and leaves one audit record per change."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.errors import DomainError, NotFound, validation_error_to_domain
from wangge.core.pii import mask_phone
from wangge.core.scope import in_scope
from wangge.core.validators import check_mobile
from wangge.regions.models import Department, Region

from .models import ApiToken, User
from .roles import DEPARTMENT_ROLES, MANAGE_USERS, Role, require


def _resolve_scope(*, actor, role: str, region_code: str | None, department_code: str | None):
    if role not in Role.values:
        raise DomainError(_("未知角色：%(role)s") % {"role": role}, field="role")
    if role in DEPARTMENT_ROLES:
        if not department_code:
            raise DomainError(_("部门承办人必须指定所属部门"), field="department")
        department = Department.objects.filter(code=department_code).first()
        if department is None or (actor is not None and not in_scope(actor, department.region_key)):
            raise NotFound(_("部门不存在或不在您的管辖范围内"), field="department")
        return None, department
    if not region_code:
        raise DomainError(_("必须指定管辖区域（区域代码）"), field="region")
    region = Region.objects.filter(code=region_code).first()
    if region is None or (actor is not None and not in_scope(actor, region.key)):
        raise NotFound(_("区域不存在或不在您的管辖范围内"), field="region")
    return region, None


def _user_snapshot(user: User) -> dict:
    """Scope shown as codes, which an auditor can read, rather than row ids."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "phone": mask_phone(user.phone) if user.phone else "",
        "scope_region": user.scope_region.code if user.scope_region else None,
        "scope_department": user.scope_department.code if user.scope_department else None,
        "is_active": user.is_active,
    }


def _scope_key(user: User) -> str:
    return user.scope_key or ""


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    phone: str = "",
    region_code: str | None = None,
    department_code: str | None = None,
) -> User:
    """Create an account bound to a scope inside the actor's own scope. Administrators only
    (actor=None is the system, e.g. the demo builder)."""
    require(actor, MANAGE_USERS)
    username = (username or "").strip()
    if not username:
        raise DomainError(_("用户名不能为空"), field="username")
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名 %(name)s 已被使用") % {"name": username}, field="username", code="duplicate")
    if phone and check_mobile(phone):
        raise DomainError(str(check_mobile(phone)), field="phone")
    region, department = _resolve_scope(
        actor=actor, role=role, region_code=region_code, department_code=department_code
    )
    user = User(
        username=username,
        role=role,
        display_name=display_name.strip(),
        phone=phone,
        scope_region=region,
        scope_department=department,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("；".join(exc.messages), field="password") from None
    user.set_password(password)
    try:
        user.full_clean()
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from None
    user.save()
    audit.record(actor=actor, verb="user.create", target=user, scope_key=_scope_key(user), after=_user_snapshot(user))
    return user


@transaction.atomic
def user_update(
    *,
    actor,
    user: User,
    role: str | None = None,
    display_name: str | None = None,
    phone: str | None = None,
    region_code: str | None = None,
    department_code: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change an account's role, scope or status; the new scope must also lie in the actor's scope."""
    require(actor, MANAGE_USERS)
    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None and actor.pk == user.pk and is_active is False:
        raise DomainError(_("不能停用自己的账号"), field="is_active")
    before, state_before, scope_key_before = _user_snapshot(user), _state(user), _scope_key(user)
    if role is not None or region_code is not None or department_code is not None:
        new_role = role or user.role
        region, department = _resolve_scope(
            actor=actor,
            role=new_role,
            region_code=region_code
            if region_code is not None
            else (user.scope_region.code if user.scope_region else None),
            department_code=department_code
            if department_code is not None
            else (user.scope_department.code if user.scope_department else None),
        )
        user.role, user.scope_region, user.scope_department = new_role, region, department
    if display_name is not None:
        user.display_name = display_name.strip()
    if phone is not None:
        phone = phone.strip()
        if phone and check_mobile(phone):
            raise DomainError(str(check_mobile(phone)), field="phone")
        user.phone = phone
    if is_active is not None:
        user.is_active = is_active
    if _state(user) == state_before:
        return user
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from None
    user.save()
    after = _user_snapshot(user)
    audit.record(actor=actor, verb="user.update", target=user, scope_key=_scope_key(user), before=before, after=after)
    if scope_key_before != _scope_key(user):
        # The administrators of the old scope must see that the account left it.
        audit.record(
            actor=actor, verb="user.update", target=user, scope_key=scope_key_before, before=before, after=after
        )
    return user


def _state(user: User) -> tuple:
    return (user.display_name, user.role, user.phone, user.scope_region_id, user.scope_department_id, user.is_active)


@transaction.atomic
def token_create(*, actor, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue an API token; the raw value is returned once and never stored."""
    if actor is None or actor.pk != user.pk:
        require(actor, MANAGE_USERS)
    if not name.strip():
        raise DomainError(_("请填写令牌用途"), field="name")
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(user=user, name=name.strip(), digest=ApiToken.digest_of(raw), prefix=raw[:8])
    audit.record(
        actor=actor,
        verb="token.create",
        target=token,
        scope_key=_scope_key(user),
        after={"user": user.username, "name": token.name, "prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> None:
    if actor is None or actor.pk != token.user_id:
        require(actor, MANAGE_USERS)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, verb="token.revoke", target=token, scope_key=_scope_key(token.user))
