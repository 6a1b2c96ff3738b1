from datetime import datetime

from ninja import Schema


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    target_type: str
    target_id: str
    created_at: datetime
    read_at: datetime | None
    is_read: bool

    @staticmethod
    def resolve_is_read(obj) -> bool:
        return obj.read_at is not None


class ReadAllOut(Schema):
    updated: int


class UnreadCountOut(Schema):
    unread: int
