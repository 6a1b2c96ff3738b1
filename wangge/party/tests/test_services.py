"""Party services: the tree and its formation rules, coverage, members, dual reporting, claiming
both ways, check-in and confirming service exactly once."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.party import activities, lists, selectors, services
from wangge.party.contracts import service_confirmed
from wangge.party.models import Member, ServiceRecord
from wangge.party.reports import annual_report_xlsx
from wangge.regions.models import Compound

from .conftest import A1, A_GRID, A_GRID2, B1, add_resident, idn, soon

pytestmark = pytest.mark.django_db


# ---- tree and formation rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "members", "full", "warned"),
    [
        ("branch", 2, 2, "联合党支部"),
        ("branch", 5, 2, "联合党支部"),
        ("branch", 3, 3, None),
        ("branch", 50, 50, None),
        ("branch", 51, 51, "党总支"),
        ("joint_branch", 2, 1, None),
        ("joint_branch", 51, 51, "党总支"),
        ("general_branch", 50, 50, "改设党支部"),
        ("general_branch", 80, 80, None),
        ("general_branch", 101, 101, "党委"),
        ("committee", 100, 100, "不符合设立党委"),
        ("committee", 101, 101, None),
        ("community_committee", 0, 0, None),
    ],
)
def test_formation_rules_warn_where_the_type_no_longer_fits(kind, members, full, warned):
    warnings = selectors.formation_warnings(kind, members, full)
    if warned is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warned in warnings[0]


def _members(organisation, household, count, start, status="full"):
    for n in range(count):
        add_resident(household, start + n, f"党员{start + n}")
        services.member_create(
            actor=None,
            name=f"党员{start + n}",
            id_number=idn(start + n),
            joined_on="2000-01-01",
            organisation_id=organisation.pk,
            status=status,
        )


def test_the_tree_counts_members_below_and_warns_on_small_branches(orgs, household_a, people):
    _members(orgs["grid"], household_a, 2, 100)
    _members(orgs["grid"], household_a, 1, 110, status="probationary")
    nodes = {n.organisation.name: n for n in selectors.party_tree(user=people["party_a"])}
    branch = nodes["甲一1网格党支部"]
    assert (branch.members, branch.full_members) == (3, 2)
    assert "联合党支部" in branch.warnings[0]
    assert nodes["甲一社区党委"].members == 3 and nodes["甲一社区党委"].warnings == []
    assert nodes["甲一社区党委"].depth == 1 and branch.depth == 2
    _members(orgs["grid"], household_a, 1, 120)
    branch = {n.organisation.name: n for n in selectors.party_tree(user=people["party_a"])}["甲一1网格党支部"]
    assert branch.warnings == []


def test_the_tree_is_scoped(orgs, people):
    names_b = {n.organisation.name for n in selectors.party_tree(user=people["party_b"])}
    assert names_b == {"科技公司党支部"}
    names_community = {n.organisation.name for n in selectors.party_tree(user=people["community_a"])}
    assert "甲街道党工委" not in names_community and "甲一1网格党支部" in names_community
    with pytest.raises(Forbidden):
        selectors.party_tree(user=people["hotline"])


def test_a_branch_cannot_sit_above_its_parent_or_outside_it(orgs, people, tree):
    with pytest.raises(DomainError) as error:
        services.organisation_create(
            actor=people["party_a"], name="错误党委", kind="committee", region_code=A_GRID, parent_id=orgs["grid"].pk
        )
    assert error.value.field in ("kind", "region_code")
    with pytest.raises(DomainError) as error:
        services.organisation_create(
            actor=people["party_a"], name="错挂支部", kind="branch", region_code=A_GRID2, parent_id=orgs["grid"].pk
        )
    assert error.value.field == "parent_id"
    with pytest.raises(NotFound):
        services.organisation_create(
            actor=people["party_a"], name="越界支部", kind="branch", region_code="510502002001001"
        )
    with pytest.raises(DomainError) as error:
        services.organisation_create(actor=people["party_a"], name="", kind="branch", region_code=A_GRID)
    assert error.value.field == "name"


def test_non_territorial_organisations_are_seen_where_they_serve(orgs, people, tree):
    sector = services.organisation_create(
        actor=people["party_b"],
        name="快递行业党委",
        kind="committee",
        category="sector",
        region_code=tree["street_b"].code,
        served_region_codes=[B1],
    )
    assert sector in selectors.visible_organisations(user=people["community_b"])
    assert sector not in selectors.visible_organisations(user=people["community_a"])


# ---- coverage --------------------------------------------------------------------------------


def test_coverage_lists_compounds_and_grids_with_three_members_and_no_organisation(orgs, household_a, people, tree):
    compound = tree["compounds"][A_GRID]
    _members(orgs["community"], household_a, 2, 200)
    assert selectors.coverage_gaps(user=people["community_a"]) == []
    _members(orgs["community"], household_a, 1, 210)
    gaps = {(gap.kind, str(gap.place)) for gap in selectors.coverage_gaps(user=people["community_a"])}
    # The grid has a branch already; the compound has none.
    assert gaps == {("小区", compound.name)}
    services.organisation_create(
        actor=people["community_a"],
        name="花园小区党支部",
        kind="branch",
        region_code=A_GRID,
        parent_id=orgs["community"].pk,
        compound_id=compound.pk,
    )
    assert selectors.coverage_gaps(user=people["community_a"]) == []
    assert Compound.objects.get(pk=compound.pk).has_party_organisation
    assert selectors.coverage_gaps(user=people["party_b"]) == []


def test_coverage_lists_a_grid_without_any_organisation(orgs, people, tree):
    for n in range(3):
        services.member_create(
            actor=None, name=f"网格党员{n}", id_number=idn(300 + n), joined_on="2001-01-01",
            organisation_id=orgs["community"].pk, grid_code="510502001001003",
        )  # fmt: skip
    gaps = selectors.coverage_gaps(user=people["community_a"])
    assert [(gap.kind, gap.place.code, gap.full_members) for gap in gaps] == [("网格", "510502001001003", 3)]


# ---- members ---------------------------------------------------------------------------------


def test_a_member_in_the_resident_ledger_is_placed_in_their_household(member_a, household_a):
    assert member_a.household == household_a and member_a.resident is not None
    assert member_a.id_masked == idn(1)[:6] + "********" + idn(1)[-4:]
    assert member_a.phone_masked == "138****1234"
    assert idn(1) not in str(AuditEvent.objects.filter(verb="party.member.create").values_list("after", flat=True)[0])


def test_bad_member_input_names_the_field_and_writes_nothing(orgs, people):
    cases = [
        ({"id_number": "123"}, "id_number"),
        ({"joined_on": "2005-13-01"}, "joined_on"),
        ({"phone": "12345"}, "phone"),
        ({"status": "maybe"}, "status"),
        ({"grid_code": ""}, "grid_code"),
        ({"organisation_id": orgs["unit_org_b"].pk}, "organisation_id"),
    ]
    for change, field in cases:
        arguments = {
            "actor": people["community_a"], "name": "王五", "id_number": idn(50), "joined_on": "2005-01-01",
            "organisation_id": orgs["grid"].pk, "grid_code": A_GRID, **change,
        }  # fmt: skip
        with pytest.raises(DomainError) as error:
            services.member_create(**arguments)
        assert error.value.field == field, change
    assert not Member.objects.exists()


def test_a_post_for_a_member_without_office(member_a, people):
    services.member_update(actor=people["community_a"], member=member_a, post="safety", post_duty="每周巡逻一次")
    member = selectors.member_get(user=people["community_a"], pk=member_a.pk)
    assert member.get_post_display() == "平安巡逻岗"
    with pytest.raises(NotFound):
        services.member_update(actor=people["community_b"], member=member_a, post="care")


def test_the_party_household_flag(member_a, household_a, people):
    assert selectors.party_households(user=people["gridworker_a"], household_ids=[household_a.pk]) == {household_a.pk}
    services.member_update(actor=people["community_a"], member=member_a, shows_identity=False)
    assert selectors.party_households(user=people["gridworker_a"], household_ids=[household_a.pk]) == set()


# ---- dual reporting --------------------------------------------------------------------------


def test_registration_approval_flow(orgs, member_a, people):
    registration = services.registration_create(
        actor=people["community_a"], community_code=A1, organisation_id=orgs["unit_org_a"].pk, note="认领两项需求"
    )
    assert registration.status == "pending"
    with pytest.raises(Conflict):
        services.registration_create(
            actor=people["community_a"], community_code=A1, organisation_id=orgs["unit_org_a"].pk
        )
    with pytest.raises(NotFound):
        services.registration_decide(actor=people["community_b"], registration=registration, status="approved")
    with pytest.raises(DomainError) as error:
        services.registration_decide(actor=people["community_a"], registration=registration, status="rejected")
    assert error.value.field == "reason"
    services.registration_decide(actor=people["community_a"], registration=registration, status="approved")
    with pytest.raises(Conflict):
        services.registration_decide(
            actor=people["community_a"], registration=registration, status="rejected", reason="重复"
        )
    services.registration_decide(actor=people["community_a"], registration=registration, status="ended")
    # Ended: the unit may report again.
    again = services.registration_create(
        actor=people["community_a"], community_code=A1, organisation_id=orgs["unit_org_a"].pk
    )
    services.registration_decide(actor=people["community_a"], registration=again, status="rejected", reason="材料不全")
    assert AuditEvent.objects.filter(verb="party.registration.reject", target_id=str(again.pk)).exists()


def test_registrations_go_to_where_the_unit_sits_and_the_member_lives(orgs, member_a, member_b, people):
    with pytest.raises(DomainError) as error:
        services.registration_create(actor=None, community_code=B1, organisation_id=orgs["unit_org_a"].pk)
    assert error.value.field == "community_code"
    with pytest.raises(DomainError):
        services.registration_create(actor=None, community_code=B1, member_id=member_a.pk)
    with pytest.raises(DomainError):
        services.registration_create(actor=None, community_code=A1, organisation_id=orgs["grid"].pk)
    # The member registers themself from their own account.
    registration = services.registration_create(actor=people["resident_a"], community_code=A1, member_id=member_a.pk)
    assert registration.status == "pending"
    with pytest.raises(NotFound):
        services.registration_create(actor=people["resident_a"], community_code=B1, member_id=member_b.pk)


# ---- lists and claims --------------------------------------------------------------------------


def test_claiming_needs_requires_an_approved_registration(orgs, member_a, people):
    need = lists.need_create(actor=people["community_a"], title="楼道灯坏了", region_code=A_GRID, source="resident")
    with pytest.raises(DomainError) as error:
        lists.need_claim(actor=people["community_a"], need=need, organisation_id=orgs["unit_org_a"].pk)
    assert "双报到" in error.value.message
    registration = services.registration_create(actor=None, community_code=A1, organisation_id=orgs["unit_org_a"].pk)
    services.registration_decide(actor=None, registration=registration, status="approved")
    claim = lists.need_claim(actor=people["community_a"], need=need, organisation_id=orgs["unit_org_a"].pk)
    need.refresh_from_db()
    assert need.status == "claimed" and claim.claimant == orgs["unit_org_a"]
    with pytest.raises(Conflict):
        lists.need_claim(actor=people["community_a"], need=need, organisation_id=orgs["unit_org_a"].pk)
    lists.claim_close(actor=people["community_a"], claim=claim, status="done")
    need.refresh_from_db()
    assert need.status == "done"
    with pytest.raises(Conflict):
        lists.claim_close(actor=people["community_a"], claim=claim, status="withdrawn")


def test_a_member_claims_a_community_need_from_their_own_account(approved, member_a, people):
    need = lists.need_create(actor=people["community_a"], title="陪老人就医", region_code=A1)
    claim = lists.need_claim(actor=people["resident_a"], need=need, member_id=member_a.pk)
    assert claim.member == member_a
    other = lists.need_create(actor=people["community_b"], title="乙社区需求", region_code=B1)
    with pytest.raises(NotFound):
        lists.need_claim(actor=people["resident_a"], need=other, member_id=member_a.pk)


def test_a_resident_files_a_need_in_their_grid_only(people):
    need = lists.need_create(actor=people["resident_a"], title="小区门口积水", region_code=A_GRID, source="community")
    assert need.source == "resident"
    with pytest.raises(NotFound):
        lists.need_create(actor=people["resident_a"], title="别处", region_code=A_GRID2)


def test_communities_claim_resources_units_offer(approved, orgs, people):
    with pytest.raises(DomainError):
        lists.offer_create(
            actor=people["community_b"], title="会议室", community_code=B1, organisation_id=orgs["unit_org_b"].pk
        )
    offer = lists.offer_create(
        actor=people["community_a"], title="税法讲座", community_code=A1, organisation_id=orgs["unit_org_a"].pk
    )
    with pytest.raises(NotFound):
        lists.offer_claim(actor=people["community_b"], offer=offer)
    claim = lists.offer_claim(actor=people["community_a"], offer=offer)
    offer.refresh_from_db()
    assert offer.status == "claimed" and claim.community.code == A1
    with pytest.raises(Conflict):
        lists.offer_claim(actor=people["party_a"], offer=offer)
    lists.claim_close(actor=people["community_a"], claim=claim, status="withdrawn")
    offer.refresh_from_db()
    assert offer.status == "open"


def test_projects_are_joined_by_many(approved, orgs, member_a, people):
    project = lists.project_create(actor=people["community_a"], title="老旧小区微更新", community_code=A1)
    lists.project_join(actor=people["community_a"], project=project, organisation_id=orgs["unit_org_a"].pk)
    lists.project_join(actor=people["resident_a"], project=project, member_id=member_a.pk)
    with pytest.raises(Conflict):
        lists.project_join(actor=people["resident_a"], project=project, member_id=member_a.pk)
    assert selectors.project_list(user=people["community_a"]).get().joined == 2
    with pytest.raises(NotFound):
        lists.project_create(actor=people["community_b"], title="越界", community_code=A1)


# ---- activities, check-in, service ---------------------------------------------------------------


@pytest.fixture
def activity(people):
    return activities.activity_create(
        actor=people["community_a"],
        title="清洁家园",
        activity_type="environment",
        community_code=A1,
        starts_at=soon(-1),
        ends_at=soon(1),
        place="社区广场",
        capacity=2,
    )


def test_sign_up_respects_capacity_and_scope(activity, member_a, people):
    attendance = activities.activity_sign_up(actor=people["resident_a"], activity=activity)
    assert attendance.member == member_a
    with pytest.raises(Conflict):
        activities.activity_sign_up(actor=people["resident_a"], activity=activity)
    with pytest.raises(NotFound):
        activities.activity_sign_up(actor=people["resident_b"], activity=activity)
    activities.activity_sign_up(actor=people["gridworker_a"], activity=activity)
    with pytest.raises(Conflict) as error:
        activities.activity_sign_up(actor=people["community_a"], activity=activity)
    assert "已满" in error.value.message


def test_check_in_by_the_signed_code(activity, member_a, people):
    token = activities.checkin_token(activity)
    attendance, new = activities.activity_check_in(actor=people["resident_a"], token=token)
    assert new and attendance.checked_in_at is not None and attendance.member == member_a
    attendance, new = activities.activity_check_in(actor=people["resident_a"], token=token)
    assert not new
    with pytest.raises(DomainError) as error:
        activities.activity_check_in(actor=people["gridworker_a"], token=token[:-2] + "xx")
    assert error.value.code == "bad_token"
    activities.activity_renew_code(actor=people["community_a"], activity=activity)
    with pytest.raises(DomainError):
        activities.activity_check_in(actor=people["gridworker_a"], token=token)


def test_check_in_is_refused_long_before_the_start(people):
    later = activities.activity_create(
        actor=people["community_a"], title="明天的活动", activity_type="culture", community_code=A1,
        starts_at=soon(24), ends_at=soon(26),
    )  # fmt: skip
    with pytest.raises(Conflict):
        activities.activity_check_in(actor=people["resident_a"], token=activities.checkin_token(later))


def test_bad_activity_input_names_the_field(people):
    base = {"actor": people["community_a"], "title": "活动", "activity_type": "volunteer", "community_code": A1,
            "starts_at": soon(1), "ends_at": soon(2)}  # fmt: skip
    for change, field in [
        ({"ends_at": soon(0)}, "ends_at"),
        ({"activity_type": "party"}, "activity_type"),
        ({"community_code": A_GRID}, "community_code"),
        ({"capacity": 0}, "capacity"),
        ({"title": " "}, "title"),
    ]:
        with pytest.raises(DomainError) as error:
            activities.activity_create(**{**base, **change})
        assert error.value.field == field


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    service_confirmed.connect(receiver, dispatch_uid="party-test")
    yield calls
    service_confirmed.disconnect(dispatch_uid="party-test")


def test_confirming_service_sends_the_signal_exactly_once(activity, member_a, people, heard):
    activities.activity_check_in(actor=people["resident_a"], token=activities.checkin_token(activity))
    activities.activity_check_in(actor=people["gridworker_a"], token=activities.checkin_token(activity))
    records = activities.service_record_attendance(actor=people["community_a"], activity=activity, hours="2.5")
    assert len(records) == 2
    with pytest.raises(DomainError):  # everyone checked in already has a record
        activities.service_record_attendance(actor=people["community_a"], activity=activity, hours="2")
    record = next(r for r in records if r.member_id == member_a.pk)
    with pytest.raises(NotFound):
        activities.service_confirm(actor=people["community_b"], record=record)
    activities.service_confirm(actor=people["community_a"], record=record)
    with pytest.raises(Conflict):
        activities.service_confirm(actor=people["party_a"], record=record)
    assert len(heard) == 1
    call = heard[0]
    assert call["key"] == f"party.service:{record.pk}"
    assert call["hours"] == Decimal("2.5") and call["activity_type"] == "environment"
    assert call["resident_id"] == member_a.resident_id and call["user_id"] == people["resident_a"].pk
    assert call["region_key"] == A1 and call["occurred_on"] == timezone.localdate(activity.starts_at)
    assert call["actor"] == people["community_a"] and call["unit_id"] is None


def test_a_refusing_receiver_rolls_the_confirmation_back(approved, orgs, people):
    record = activities.service_record_create(
        actor=people["community_a"], community_code=A1, occurred_on=timezone.localdate(), hours=3,
        description="税法宣传", organisation_id=orgs["unit_org_a"].pk, activity_type="need_claim",
    )  # fmt: skip

    def refuse(sender, **kwargs):
        assert kwargs["unit_id"] == orgs["unit_a"].pk
        raise DomainError("积分账户已冻结")

    service_confirmed.connect(refuse, dispatch_uid="party-refuse")
    try:
        with pytest.raises(DomainError):
            activities.service_confirm(actor=people["community_a"], record=record)
    finally:
        service_confirmed.disconnect(dispatch_uid="party-refuse")
    assert ServiceRecord.objects.get(pk=record.pk).status == "submitted"


def test_rejecting_service_needs_a_reason(activity, people, member_a):
    record = activities.service_record_create(
        actor=people["community_a"], community_code=A1, occurred_on=timezone.localdate(), hours=1,
        description="巡逻", member_id=member_a.pk,
    )  # fmt: skip
    with pytest.raises(DomainError) as error:
        activities.service_reject(actor=people["community_a"], record=record, reason="")
    assert error.value.field == "reason"
    activities.service_reject(actor=people["community_a"], record=record, reason="当天未到场")
    with pytest.raises(Conflict):
        activities.service_confirm(actor=people["community_a"], record=record)
    for hours in ("abc", "25", "-1", "1.25"):
        with pytest.raises(DomainError) as error:
            activities.service_record_create(
                actor=people["community_a"], community_code=A1, occurred_on=timezone.localdate(), hours=hours,
                description="巡逻", member_id=member_a.pk,
            )  # fmt: skip
        assert error.value.field == "hours"


# ---- 双报告 ----------------------------------------------------------------------------------


def test_the_yearly_report_goes_back_to_each_employer_masked(approved, orgs, member_a, people):
    today = timezone.localdate()
    for kwargs in ({"member_id": member_a.pk}, {"organisation_id": orgs["unit_org_a"].pk}):
        record = activities.service_record_create(
            actor=people["community_a"], community_code=A1, occurred_on=today, hours=2, description="志愿服务", **kwargs
        )
        activities.service_confirm(actor=people["community_a"], record=record)
    need = lists.need_create(actor=people["community_a"], title="修路灯", region_code=A1)
    lists.need_claim(actor=people["community_a"], need=need, member_id=member_a.pk)
    report = selectors.annual_report(user=people["party_a"], year=today.year)
    assert list(report) == ["甲区税务所"]
    lines = {line.kind: line for line in report["甲区税务所"]}
    assert lines["党员"].hours == Decimal("2.0") and lines["党员"].claims == 1 and lines["党员"].records == 1
    assert lines["单位党组织"].records == 1
    workbook = openpyxl.load_workbook(io.BytesIO(annual_report_xlsx(user=people["party_a"], year=today.year)))
    assert workbook.sheetnames == ["甲区税务所"]
    cells = [str(c.value) for row in workbook.active.iter_rows() for c in row if c.value is not None]
    assert member_a.id_masked in cells and idn(1) not in cells
    assert selectors.annual_report(user=people["party_b"], year=today.year) == {}


# ---- who may be credited, and ids that are not ids ------------------------------------------


def test_a_community_credits_only_members_of_its_scope_or_reported_to_it(member_a, people):
    record = dict(community_code=B1, occurred_on=timezone.localdate(), hours=2, description="巡逻")
    # member_a lives in community A and has not reported to B: B's issuing account must not pay them
    with pytest.raises(NotFound) as error:
        activities.service_record_create(actor=people["community_b"], member_id=member_a.pk, **record)
    assert error.value.field == "member_id"
    assert not ServiceRecord.objects.exists()
    created = activities.service_record_create(
        actor=people["community_a"], member_id=member_a.pk, **{**record, "community_code": A1}
    )
    assert created.member == member_a and created.region_key == A1


def test_the_hotline_files_no_needs(people):
    with pytest.raises(Forbidden):
        lists.need_create(actor=people["hotline"], title="路灯不亮", region_code=A1)


@pytest.mark.parametrize("bad", ["abc", "²", "１", "-3", "99999999999999999999999"])
def test_an_id_that_is_not_a_number_names_the_field(activity, member_a, people, bad):
    with pytest.raises(DomainError) as error:
        activities.activity_sign_up(actor=people["community_a"], activity=activity, member_id=bad)
    assert error.value.field == "member_id" and error.value.status == 400
    with pytest.raises(DomainError) as error:
        activities.service_record_create(
            actor=people["community_a"], community_code=A1, occurred_on=timezone.localdate(), hours=1,
            description="巡逻", organisation_id=bad,
        )  # fmt: skip
    assert error.value.field == "organisation_id"
    assert not ServiceRecord.objects.exists()


def test_an_activity_holds_at_most_ten_thousand_people(people):
    with pytest.raises(DomainError) as error:
        activities.activity_create(
            actor=people["community_a"], title="广场舞", activity_type="culture", community_code=A1,
            starts_at=soon(1), ends_at=soon(2), capacity=10**20,
        )  # fmt: skip
    assert error.value.field == "capacity"


def test_only_an_empty_organisation_is_dissolved_and_the_refusal_says_what_is_left(orgs, member_a, people, tree):
    from wangge.party.models import Organisation

    compound = tree["compounds"][A_GRID]
    branch = services.organisation_create(
        actor=people["community_a"], name="花园小区党支部", kind="branch", region_code=A_GRID,
        parent_id=orgs["community"].pk, compound_id=compound.pk,
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        services.organisation_delete(actor=people["community_a"], organisation=orgs["unit_org_a"])
    assert "党员 1" in refused.value.message and Organisation.objects.filter(pk=orgs["unit_org_a"].pk).exists()
    with pytest.raises(Conflict) as refused:
        services.organisation_delete(actor=people["community_a"], organisation=orgs["community"])
    assert "下级组织" in refused.value.message
    with pytest.raises(NotFound):
        services.organisation_delete(actor=people["community_b"], organisation=branch)
    with pytest.raises(Forbidden):
        services.organisation_delete(actor=people["gridworker_a"], organisation=branch)
    services.organisation_delete(actor=people["community_a"], organisation=branch)
    assert not Organisation.objects.filter(pk=branch.pk).exists()
    assert not Compound.objects.get(pk=compound.pk).has_party_organisation  # its only organisation is gone
    event = AuditEvent.objects.get(verb="party.organisation.delete")
    assert event.before["name"] == "花园小区党支部" and event.actor == people["community_a"]


def test_a_member_who_leaves_stays_on_record_but_off_the_roll(approved, orgs, member_a, household_a, people):
    staff = people["community_a"]
    tree_count = {n.organisation.pk: n.members for n in selectors.party_tree(user=staff)}
    assert tree_count[orgs["unit_org_a"].pk] == 1
    assert household_a.pk in selectors.party_households(user=staff, household_ids=[household_a.pk])
    with pytest.raises(DomainError) as refused:
        services.member_leave(actor=staff, member=member_a, reason="transferred_out")
    assert refused.value.field == "note"  # a transfer out names where to
    with pytest.raises(DomainError) as refused:
        services.member_leave(actor=staff, member=member_a, reason="deceased", on="2001-01-01")
    assert refused.value.field == "on"  # before joining
    with pytest.raises(DomainError) as refused:
        services.member_leave(actor=staff, member=member_a, reason="gone")
    assert refused.value.field == "reason"
    with pytest.raises(NotFound):
        services.member_leave(actor=people["community_b"], member=member_a, reason="deceased")
    services.member_leave(actor=staff, member=member_a, reason="transferred_out", note="成都市某区税务局党支部")
    member_a.refresh_from_db()
    assert member_a.left_on == timezone.localdate() and member_a.left_reason == "transferred_out"
    # Off the roll: not counted, no plaque, not listed unless asked for, no more dual reporting.
    tree_count = {n.organisation.pk: n.members for n in selectors.party_tree(user=staff)}
    assert tree_count[orgs["unit_org_a"].pk] == 0
    assert selectors.party_households(user=staff, household_ids=[household_a.pk]) == set()
    assert member_a not in selectors.member_list(user=staff)
    assert list(selectors.member_list(user=staff, status="left")) == [member_a]
    approved["member"].refresh_from_db()
    assert approved["member"].status == "ended" and approved["member"].reason == "成都市某区税务局党支部"
    # Ended by the staff who recorded the leave, and audited as theirs.
    assert approved["member"].decided_by == staff
    ended = AuditEvent.objects.get(verb__startswith="party.registration.", target_id=str(approved["member"].pk),
                                   after__status="ended")  # fmt: skip
    assert ended.actor == staff
    event = AuditEvent.objects.get(verb="party.member.leave")
    assert event.after == {"left_on": timezone.localdate().isoformat(), "left_reason": "transferred_out",
                           "left_note": "成都市某区税务局党支部"}  # fmt: skip
    # On record: nothing new for them, and registering the same ID again says where the record is.
    with pytest.raises(Conflict):
        services.member_update(actor=staff, member=member_a, post="policy")
    with pytest.raises(Conflict):
        services.member_leave(actor=staff, member=member_a, reason="deceased")
    with pytest.raises(NotFound):
        lists.need_claim(actor=staff, need=lists.need_create(actor=None, title="楼道灯", region_code=A_GRID),
                         member_id=member_a.pk)  # fmt: skip
    with pytest.raises(DomainError, match="曾在册，已于") as refused:
        services.member_create(
            actor=None, name="张党员", id_number=idn(1), joined_on="2005-07-01",
            organisation_id=orgs["grid"].pk, grid_code=A_GRID,
        )  # fmt: skip
    assert refused.value.field == "id_number" and Member.objects.filter(name="张党员").count() == 1


def test_a_member_with_a_pending_registration_leaves_with_a_one_character_note(orgs, member_a, people):
    pending = services.registration_create(actor=None, community_code=A1, member_id=member_a.pk, grid_code=A_GRID)
    services.member_leave(actor=people["community_a"], member=member_a, reason="deceased", note="无")
    pending.refresh_from_db()
    assert pending.status == "rejected" and pending.reason == "党员已离开名册（去世）"


def test_dissolving_hands_the_records_of_former_members_to_the_parent(orgs, people):
    staff = people["community_a"]
    branch = services.organisation_create(
        actor=staff, name="老年党支部", kind="branch", region_code=A_GRID, parent_id=orgs["community"].pk
    )
    former = services.member_create(
        actor=None, name="老党员", id_number=idn(77), joined_on="1970-07-01", organisation_id=branch.pk,
        grid_code=A_GRID, in_service=True, employer_code=orgs["unit_a"].credit_code,
    )  # fmt: skip
    pending = services.registration_create(actor=None, community_code=A1, member_id=former.pk, grid_code=A_GRID)
    services.member_leave(actor=staff, member=former, reason="deceased")
    pending.refresh_from_db()
    assert pending.status == "rejected" and "去世" in pending.reason  # nothing left waiting for them
    with pytest.raises(Conflict):  # and it cannot be approved afterwards
        services.registration_decide(actor=None, registration=pending, status="approved")
    services.organisation_delete(actor=staff, organisation=branch)
    former.refresh_from_db()
    assert former.organisation == orgs["community"] and former.left_on is not None
    event = AuditEvent.objects.get(verb="party.organisation.delete")
    assert event.after == {"former_members_moved_to": orgs["community"].pk, "former_members": [former.pk]}
