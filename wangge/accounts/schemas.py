from ninja import Schema
from pydantic import Field


class UserOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    phone_masked: str
    region_code: str | None
    department_code: str | None
    is_active: bool

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_phone_masked(obj) -> str:
        from wangge.core.pii import mask_phone

        return mask_phone(obj.phone) if obj.phone else ""

    @staticmethod
    def resolve_region_code(obj) -> str | None:
        return obj.scope_region.code if obj.scope_region_id else None

    @staticmethod
    def resolve_department_code(obj) -> str | None:
        return obj.scope_department.code if obj.scope_department_id else None


class MeOut(UserOut):
    scope_key: str | None
    capabilities: list[str]

    @staticmethod
    def resolve_capabilities(obj) -> list[str]:
        from .roles import CAPABILITIES

        return sorted(c for c in CAPABILITIES if obj.can(c))


class UserCreateIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=128)
    role: str
    display_name: str = ""
    phone: str = ""
    region_code: str | None = None
    department_code: str | None = None


class UserUpdateIn(Schema):
    role: str | None = None
    display_name: str | None = None
    phone: str | None = None
    region_code: str | None = None
    department_code: str | None = None
    is_active: bool | None = None
