import pytest

from wangge.accounts.models import User
from wangge.notify.tests.doubles import FlakySms

PHONE = "13812345678"
EMAIL = "dispatcher@example.org"


@pytest.fixture
def sms(settings):
    """SMS on, through the test gateway."""
    settings.WANGGE_SMS_BACKEND = "wangge.notify.tests.doubles.FlakySms"
    FlakySms.reset()
    return FlakySms


@pytest.fixture
def email_on(settings):
    """Email on; pytest-django already swaps in the in-memory email backend."""
    settings.WANGGE_NOTIFY_EMAIL = True
    settings.DEFAULT_FROM_EMAIL = "wangge@example.org"
    settings.WANGGE_SITE_URL = "https://wangge.example.org"


@pytest.fixture
def reachable(users):
    """dispatcher_a has a phone and an email address; handler has neither."""
    User.objects.filter(pk=users["dispatcher_a"].pk).update(phone=PHONE, email=EMAIL)
    users["dispatcher_a"].refresh_from_db()
    return users["dispatcher_a"]
