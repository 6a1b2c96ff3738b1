"""The same Idempotency-Key sent by several clients at the same moment files one case (PostgreSQL:
SQLite serialises every writer, so the race cannot happen there)."""

import pytest
from django.db import connection
from django.test import Client

from wangge.accounts import services as account_services
from wangge.cases.models import Case
from wangge.open311.models import IdempotentRequest

from .conftest import A1
from .test_concurrency import _together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers"),
]


def test_concurrent_same_key_files_one_case(people):
    _token, raw = account_services.token_create(actor=people["admin"], user=people["hotline"], name="12345")
    body = {"text": "楼道堆放杂物堵塞消防通道", "caller_phone": "13900139000", "lng": A1[0], "lat": A1[1]}

    def post():
        response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
            "/api/v1/hotline/cases", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="race-1"
        )
        return response.status_code, response.json()

    results = _together([post] * 6)
    assert all(not isinstance(r, Exception) for r in results), results
    assert {status for status, _ in results} == {201}
    assert len({data["number"] for _, data in results}) == 1
    assert Case.objects.count() == 1 and IdempotentRequest.objects.count() == 1
