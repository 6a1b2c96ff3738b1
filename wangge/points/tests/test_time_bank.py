"""时间银行: hours banked by serving are drawn on when the person receives a service."""

from decimal import Decimal

import pytest
from django.test import Client

from wangge.core.errors import DomainError
from wangge.core.models import AuditEvent
from wangge.points import services
from wangge.points.models import Account, AccountKind, Movement, MovementKind
from wangge.points.reconcile import problems

from .conftest import serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def saver(residents):
    serve("s:1", resident_id=residents["a"].pk, hours="2")  # banks 2.0 hours under the default rule
    account = Account.objects.get(resident=residents["a"])
    assert account.hours == Decimal("2.0")
    return account


def withdraw(people, account, **fields):
    arguments = {"hours": "1.5", "service": "陪诊", "provider": "志愿者老王", **fields}
    return services.time_bank_withdraw(actor=people.get("actor") or people["community_a"], account=account, **arguments)


def test_drawing_hours_pays_them_back_to_the_community_pool_once(people, saver):
    movement = withdraw(people, saver, key="form-1")
    saver.refresh_from_db()
    pool = Account.objects.get(kind=AccountKind.ISSUING)
    assert saver.hours == Decimal("0.5") and saver.balance == 25  # the points stay
    assert movement.kind == MovementKind.TIME_BANK and movement.label == "时间银行支取：陪诊（志愿者老王 提供）"
    assert sorted(e.hours for e in movement.entries.all()) == [Decimal("-1.5"), Decimal("1.5")]
    assert pool.hours == Decimal("-0.5")  # issued 2.0, 1.5 came back
    # The same form sent twice (a double tap) books once.
    assert withdraw(people, saver, key="form-1") == movement
    assert Movement.objects.filter(kind=MovementKind.TIME_BANK).count() == 1
    assert AuditEvent.objects.filter(verb="points.time_bank").count() == 1
    assert problems() == []


def test_no_more_than_was_banked_and_nothing_half_written(people, saver):
    with pytest.raises(DomainError) as refused:
        withdraw(people, saver, hours="2.5")
    assert refused.value.field == "hours" and "现有 2.0 小时，需 2.5 小时" in refused.value.message
    saver.refresh_from_db()
    assert saver.hours == Decimal("2.0") and not Movement.objects.filter(kind=MovementKind.TIME_BANK).exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"hours": "两小时"}, "hours", "支取时长应为数字"),
        ({"hours": "0"}, "hours", "0.1到100"),
        ({"hours": "1.25"}, "hours", "最多保留一位小数"),
        ({"hours": "NaN"}, "hours", "0.1到100"),
        ({"service": " "}, "service", "请填写接受的服务"),
        ({"provider": "长" * 51}, "provider", "不能超过50个字"),
    ],
)
def test_bad_input_names_the_field(people, saver, fields, field, message):
    with pytest.raises(DomainError) as refused:
        withdraw(people, saver, **fields)
    assert refused.value.field == field and message in refused.value.message


def test_only_counter_staff_of_the_persons_community(people, saver, residents):
    with pytest.raises(DomainError) as refused:
        withdraw({"actor": people["community_b"], **people}, saver)
    assert refused.value.status == 404
    with pytest.raises(DomainError) as refused:
        withdraw({"actor": people["gridworker_a"], **people}, saver)
    assert refused.value.status == 403
    saver.refresh_from_db()
    assert saver.hours == Decimal("2.0")


def test_a_reversal_gives_the_hours_back(people, saver):
    movement = withdraw(people, saver)
    services.reverse(actor=people["community_a"], movement=movement, reason="记错了人")
    saver.refresh_from_db()
    assert saver.hours == Decimal("2.0") and problems() == []


def test_the_account_page_and_the_api(people, saver):
    staff = Client()
    staff.force_login(people["community_a"])
    page = staff.get(f"/points/accounts/{saver.pk}/").content.decode()
    assert 'id="time-bank"' in page and "可支取 2.0 小时" in page
    url = f"/points/accounts/{saver.pk}/time-bank/"
    answer = staff.post(url, {"hours": "1", "service": "助餐", "token": "t1"}, follow=True).content.decode()
    assert "已支取：时间银行支取：助餐" in answer
    refused = staff.post(url, {"hours": "9", "service": "送医陪护", "provider": "志愿者小王"})
    answer = refused.content.decode()
    # Said beside the hours, and nothing typed is lost.
    assert refused.status_code == 400 and "时间银行时长不足" in answer
    assert 'value="9"' in answer and "送医陪护" in answer and "志愿者小王" in answer
    api = f"/api/v1/points/accounts/{saver.pk}/time-bank"
    response = staff.post(api, {"hours": 0.5, "service": "上门照料"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["hours_left"] == "0.5"
    response = staff.post(api, {"hours": "x", "service": "上门照料"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "hours"
    outsider = Client()
    outsider.force_login(people["community_b"])
    assert outsider.post(api, {"hours": 0.5, "service": "上门照料"}, content_type="application/json").status_code == 404
    saver.refresh_from_db()
    assert saver.hours == Decimal("0.5")


def test_a_key_used_for_another_account_is_refused_not_answered_with_its_withdrawal(people, saver, residents):
    withdraw(people, saver, key="form-9")
    serve("s:2", resident_id=residents["a2"].pk, hours="2")
    other = Account.objects.get(resident=residents["a2"])
    with pytest.raises(DomainError) as refused:
        withdraw(people, other, key="form-9")
    assert refused.value.field == "key" and refused.value.status == 409
    other.refresh_from_db()
    assert other.hours == Decimal("2.0") and Movement.objects.filter(kind=MovementKind.TIME_BANK).count() == 1
