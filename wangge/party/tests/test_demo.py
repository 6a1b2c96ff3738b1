"""The demo's party content is made of valid rows, through the real services where it matters."""

from types import SimpleNamespace

import pytest

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.party import selectors
from wangge.party.contracts import service_confirmed
from wangge.party.demo import build
from wangge.party.models import Activity, Claim, Member, Offer, Organisation, Registration, ServiceRecord
from wangge.units.demo import build_demo_units

from .conftest import add_resident

pytestmark = pytest.mark.django_db


def test_demo_party_content(tree):
    household = tree["compounds"]["510502001001001"].buildings.first().households.first()
    for n in range(12):
        add_resident(household, 400 + n, f"居民{n}")
    resident = make_user("resident", Role.RESIDENT, tree["grids"]["510502001001001"])
    party = make_user("party", Role.PARTY_SECRETARY, tree["street_a"])
    build_demo_units(seed=1)
    heard = []
    service_confirmed.connect(lambda sender, **kw: heard.append(kw["key"]), dispatch_uid="demo-test", weak=False)
    try:
        builder = SimpleNamespace(seed=1, counts={})
        build(builder)
    finally:
        service_confirmed.disconnect(dispatch_uid="demo-test")
    assert builder.counts["party_organisations"] == Organisation.objects.count()
    for organisation in Organisation.objects.all():
        organisation.full_clean()
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert {"street_committee", "community_committee", "branch", "committee"} <= kinds
    assert Organisation.objects.exclude(category="territorial").exclude(category="unit").count() == 4
    assert Member.objects.count() == 8 and Member.objects.filter(user=resident).exists()
    assert Registration.objects.filter(status="approved").exists()
    assert Claim.objects.exists() and Offer.objects.exists() and Activity.objects.count() == 3
    confirmed = ServiceRecord.objects.filter(status="confirmed")
    assert sorted(heard) == sorted(f"party.service:{r.pk}" for r in confirmed) and heard
    assert selectors.party_tree(user=party)
    # The demo `resident` account's member is approved, so it can claim from its phone.
    assert Registration.objects.filter(member__user=resident, status="approved").exists()
