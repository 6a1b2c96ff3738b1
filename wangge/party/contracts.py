"""What the party app tells the rest of the system. The points ledger (`wangge.points`) listens to
`service_confirmed`; the party app does not import the points app.

`service_confirmed` is sent inside the transaction that confirms a service record (a volunteer's or
member's service at an activity, a unit's completed claim of a need …), so a refusal by a receiver
rolls the confirmation back. Keyword arguments, all required:

- `key` (str): unique and stable for the confirmed record, e.g. "party.service:42"; receivers
  credit at most once per key.
- `activity_type` (str): one of `ActivityType`.
- `hours` (Decimal): service hours confirmed (time bank), >= 0.
- `occurred_on` (date): the day the service took place.
- `region_key` (str): key of the community (or lower region) where it took place; the issuing
  account of that community pays.
- `resident_id` (int | None), `user_id` (int | None), `unit_id` (int | None): who served. At least
  one is set: a person is a registry Resident and/or an account; a unit is a units.Unit.
- `label` (str): a short Chinese description shown in statements ("参加『清洁家园』志愿服务").
- `actor` (User | None): who confirmed it.
"""

import django.dispatch
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityType(models.TextChoices):
    VOLUNTEER = "volunteer", _("志愿服务")
    PATROL = "patrol", _("平安巡逻")
    ENVIRONMENT = "environment", _("环境整治")
    ELDERLY_CARE = "elderly_care", _("关爱帮扶")
    CULTURE = "culture", _("文体活动")
    DELIBERATION = "deliberation", _("议事协商")
    NEED_CLAIM = "need_claim", _("认领需求")
    RESOURCE_SHARE = "resource_share", _("共享资源")
    OTHER = "other", _("其他")


service_confirmed = django.dispatch.Signal()
