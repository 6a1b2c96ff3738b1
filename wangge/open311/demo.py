"""The demo city's Open311 client key. Its value is fixed by the seed so `demo_city` can print it
every time it runs (a demo convenience: real keys are random and shown once)."""

from .models import Open311Key

DEMO_CLIENT = "演示 Open311 客户端"
CITY_CODE = "510500000000"


def demo_key_value(seed: int = 1) -> str:
    return f"o311_demo_{seed}"


def build_demo_open311_key(seed: int = 1) -> None:
    from . import keys

    raw = demo_key_value(seed)
    if not Open311Key.objects.filter(digest=Open311Key.digest_of(raw)).exists():
        keys.key_create(actor=None, client=DEMO_CLIENT, region_code=CITY_CODE, raw=raw)


def demo_key_line(seed: int = 1) -> str:
    """One line for the demo's account list, or "" when the demo has no key."""
    raw = demo_key_value(seed)
    if not Open311Key.objects.filter(digest=Open311Key.digest_of(raw), revoked_at__isnull=True).exists():
        return ""
    return f"\nOpen311 api_key（{DEMO_CLIENT}，全市）：{raw}    接口：/open311/v2/discovery.json"
