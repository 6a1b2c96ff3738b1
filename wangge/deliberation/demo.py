"""The demo city's 议事协商: matters of 上平社区 and its first grid at every step of the six, made
through the real services by the demo accounts (so every timeline and audit record exists), plus
four residents' representatives who vote. `CityBuilder.build` calls `build(builder)` after the
cases. Deterministic: the same content every run, dated relative to the build."""

import datetime

from django.utils import timezone

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.regions.models import Building, Compound, Region

from . import meetings, services
from .models import Evaluation, Home, Matter

GRID = "510502001001001"
COMMUNITY = "510502001001"
VOTERS = [
    ("voter1", "居民代表李芳"),
    ("voter2", "居民代表王强"),
    ("voter3", "居民代表张敏"),
    ("voter4", "居民代表刘洋"),
]

MATTERS = [
    # (title, description, step)
    ("东门口路灯不亮", "小区东门口两盏路灯坏了一个多月，晚上出入很黑。", "referred"),
    ("加装电梯补贴怎么申请", "老旧小区加装电梯政府有没有补贴？要什么材料？", "answered"),
    ("小区充电桩不够用", "电动自行车越来越多，充电桩只有8个，经常有人飞线充电。", "hearing"),
    ("增设电动车充电桩", "建议在北侧空地增设一批电动车充电桩，消除飞线充电隐患。", "merged"),
    ("楼道堆物清理", "各楼道堆放杂物多，存在消防隐患，建议集中清理。", "proposed"),
    ("公共区域改建口袋公园", "小区中心闲置绿地荒废，建议改建口袋公园，增设座椅和健身器材。", "scheduled"),
    ("外墙广告位出租", "物业提出出租外墙广告位，收益用于小区公共维修。", "rejected"),
    ("设立老年助餐点", "独居老人吃饭难，建议在活动室设立老年助餐点。", "decided"),
    ("规范小区停车", "车辆乱停堵住消防通道，建议重新划线、设置停车位。", "in_progress"),
    ("修缮小区围墙", "西侧围墙多处破损，有安全隐患，建议修缮。", "done"),
    ("更换单元门禁", "单元门禁老化经常坏，建议统一更换。", "closed"),
]


def _user(username: str) -> User:
    return User.objects.select_related("scope_region").get(username=username)


def _voters(grid: Region) -> list[User]:
    from wangge.demo.builder import DEMO_PASSWORD

    voters = []
    building = Building.objects.filter(compound__grid=grid).order_by("compound__name", "id").first()
    households = list(building.households.order_by("unit", "room")[:4]) if building else []
    for index, (username, name) in enumerate(VOTERS):
        user = account_services.user_create(
            actor=None,
            username=username,
            password=DEMO_PASSWORD,
            role=Role.RESIDENT,
            display_name=name,
            region_code=grid.code,
        )
        if index < len(households):
            Home.objects.create(user=user, household=households[index])
        voters.append(user)
    return voters


def _meeting(staff, title, place, days, rule="representatives", quorum=50):
    return meetings.meeting_call(
        actor=staff,
        title=title,
        place=place,
        starts_at=timezone.now() + datetime.timedelta(days=days),
        venue="上平社区党群服务中心",
        voter_rule=rule,
        quorum_percent=quorum,
    )


def _invite(staff, meeting, voters, present: int):
    compound = Compound.objects.filter(grid__code=GRID).order_by("name").first()
    ids = []
    for voter in voters:
        p = meetings.participant_invite(
            actor=staff, meeting=meeting, category="representative", username=voter.username
        )
        ids.append(p.pk)
    meetings.participant_invite(actor=staff, meeting=meeting, category="party_member", name="党员代表陈红")
    if compound is not None and compound.property_company:
        meetings.participant_invite(actor=staff, meeting=meeting, category="property", name=compound.property_company)
    else:
        meetings.participant_invite(actor=staff, meeting=meeting, category="property", name="小区物业服务中心")
    meetings.participant_invite(actor=staff, meeting=meeting, category="owners_committee", name="小区业主委员会")
    meetings.attendance_record(actor=staff, meeting=meeting, present=ids[:present])


def build(builder) -> None:
    grid = Region.objects.filter(code=GRID).first()
    if grid is None or not User.objects.filter(username="community").exists():
        return None
    community, grid_worker, resident = _user("community"), _user("gridworker"), _user("resident")
    voters = _voters(grid)
    builder.counts["users"] = builder.counts.get("users", 0) + len(voters)
    building = Building.objects.filter(compound__grid=grid).order_by("compound__name", "id").first()

    past = _meeting(community, "上平社区第一季度居民议事会", COMMUNITY, -20)
    _invite(community, past, voters, present=4)
    upcoming = _meeting(community, "上平第1网格居民议事会", GRID, 5)
    _invite(community, upcoming, voters, present=0)
    if building is not None:
        _meeting(
            community, f"{building.compound.name}{building.name}楼栋议事", f"building:{building.pk}", 7, "household"
        )

    made: dict[str, Matter] = {}
    for index, (title, description, step) in enumerate(MATTERS):
        proposer = voters[index % len(voters)] if index % 3 else resident
        matter = services.matter_propose(
            actor=proposer,
            title=title,
            description=description,
            place=COMMUNITY if step in ("rejected", "decided", "in_progress", "done", "closed") else GRID,
        )
        made[step] = matter
        supporters = [v for v in [resident, *voters] if v.pk != proposer.pk]
        for supporter in supporters[: 2 if step == "proposed" else 0]:
            services.matter_support(actor=supporter, matter=matter)
        if step == "proposed":
            continue
        services.matter_accept(actor=grid_worker if matter.region_key == GRID else community, matter=matter)
        hearer = grid_worker if matter.region_key == GRID else community
        if step == "referred":
            services.matter_refer(actor=hearer, matter=matter, note="属于设施维修，转案件办理")
        elif step == "answered":
            services.matter_answer(
                actor=hearer,
                matter=matter,
                answer="可申请市级加装电梯补贴，材料清单已张贴在社区公告栏，也可到社区咨询。",
            )
        elif step == "merged":
            services.matter_merge(actor=hearer, matter=matter, into=made["hearing"])
        elif step == "scheduled":
            services.matter_schedule(actor=hearer, matter=matter, meeting=upcoming)
        elif step != "hearing":
            services.matter_schedule(actor=hearer, matter=matter, meeting=past)
    meetings.comment_add(actor=voters[0], meeting=upcoming, text="口袋公园建议增加儿童游乐设施。")
    meetings.comment_add(actor=resident, meeting=past, text="建议会前把停车划线方案贴出来。")

    meetings.meeting_hold(
        actor=community,
        meeting=past,
        minutes="到会居民代表4人、党员代表、物业和业委会代表。议题：外墙广告位出租、老年助餐点、规范停车、"
        "修缮围墙、更换门禁。逐项讨论后现场表决。",
    )
    today = timezone.localdate()
    for step in ("rejected", "decided", "in_progress", "done", "closed"):
        matter = made[step]
        vote = meetings.vote_open(actor=community, matter=matter)
        choices = ["no", "no", "yes", "abstain"] if step == "rejected" else ["yes", "yes", "yes", "no"]
        for voter, choice in zip(voters, choices, strict=True):
            meetings.ballot_cast(actor=voter, vote=vote, choice=choice)
        meetings.vote_publish(actor=community, vote=vote)
        if step in ("rejected", "decided"):
            continue
        matter.refresh_from_db()
        first = services.task_add(
            actor=community,
            matter=matter,
            title="制定实施方案并公示",
            owner_name="上平社区居委会",
            deadline=today + datetime.timedelta(days=10),
        )
        second = services.task_add(
            actor=community,
            matter=matter,
            title="组织施工",
            owner_name="专职网格员",
            owner_username="gridworker",
            deadline=today + datetime.timedelta(days=30),
            as_case=step == "in_progress",
        )
        services.task_done(actor=community, task=first, note="方案已在公告栏公示7天")
        if step == "in_progress":
            continue
        services.task_done(actor=grid_worker, task=second, note="施工完成，现场验收合格")
        matter.refresh_from_db()
        ratings = [("satisfied", "修得很结实"), ("satisfied", ""), ("fairly", "施工期间噪声有点大"), ("satisfied", "")]
        for rater, (rating, comment) in zip([resident, *voters[:3]], ratings, strict=True):
            services.evaluation_add(actor=rater, matter=matter, rating=rating, comment=comment)
        if step == "closed":
            services.matter_close(actor=community, matter=matter)
    # Spread the dates over the last months so the statistics show a history (votes stay as
    # published: the database refuses any change to them).
    now = timezone.now()
    for index, matter in enumerate(Matter.objects.filter(pk__in=[m.pk for m in made.values()]).order_by("pk")):
        shift = datetime.timedelta(days=10 * (len(made) - index))
        fields = {"created_at": now - shift - datetime.timedelta(days=20)}
        if matter.decided_at:
            fields["decided_at"] = now - shift
        if matter.done_at:
            fields["done_at"] = now - shift + datetime.timedelta(days=5)
        Matter.objects.filter(pk=matter.pk).update(**fields)
    Evaluation.objects.filter(matter__in=made.values()).update(created_at=now - datetime.timedelta(days=2))
    return None
