"""The demo city's catalogue and cases: a realistic 事项清单 with working-time limits, a community
work access catalogue, 交通 and 水务 departments beside the builder's, and a few hundred cases in
every status, made through the real services (so every timeline, audit record and message exists)."""

from datetime import timedelta

import shapely
from django.utils import timezone

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core.errors import DomainError
from wangge.dispatch_ai.services import train_from_history
from wangge.regions.models import Department, Level, Region

from . import services
from .models import AccessCatalogueItem, AccessKind, Case, Category, CategoryKind, Channel, Rating, Status, TimeUnit

CITY_KEY = "5105"
EXTRA_DEPARTMENTS = [("JT", "交通运输局"), ("SW", "水务局")]

# (code, name, kind, department line, limit, unit, closing condition, [(code, name, limit, unit, closing)])
D, H = TimeUnit.DAYS, TimeUnit.HOURS
CATALOGUE = [
    ("01", "市容环境", CategoryKind.EVENT, "CG", 3, D, "", [
        ("0101", "暴露垃圾", 1, D, "垃圾清运完毕，现场无残留"),
        ("0102", "道路不洁", 1, D, "路面清扫干净"),
        ("0103", "乱张贴乱涂写", 2, D, "小广告清除，墙面恢复"),
        ("0104", "垃圾满溢", 4, H, "垃圾桶清运，周边清洁"),
    ]),
    ("02", "街面秩序", CategoryKind.EVENT, "CG", 2, D, "", [
        ("0201", "占道经营", 4, H, "摊点撤离，道路畅通"),
        ("0202", "店外经营", 1, D, "商品收回店内"),
        ("0203", "违规停放非机动车", 8, H, "车辆规范停放"),
        ("0204", "露天烧烤", 4, H, "烧烤停止，设施撤除"),
    ]),
    ("03", "施工管理", CategoryKind.EVENT, "ZJ", 5, D, "", [
        ("0301", "违法建设", 15, D, "违法建筑拆除或依法处理完毕"),
        ("0302", "施工扰民", 2, D, "夜间施工停止，噪声达标"),
        ("0303", "工地扬尘", 1, D, "覆盖、洒水等降尘措施到位"),
    ]),
    ("04", "公用设施", CategoryKind.COMPONENT, "CG", 3, D, "", [
        ("0401", "路灯不亮", 2, D, "路灯恢复照明"),
        ("0402", "井盖缺失或破损", 8, H, "井盖补齐或更换，设置警示"),
        ("0403", "道路破损", 5, D, "路面修复平整", "JT"),
        ("0404", "供水管道漏水", 1, D, "漏点修复，恢复供水", "SW"),
    ]),
    ("05", "环境保护", CategoryKind.EVENT, "HB", 3, D, "", [
        ("0501", "油烟扰民", 5, D, "油烟净化设施安装并正常使用"),
        ("0502", "噪声扰民", 2, D, "噪声源停止或达标"),
    ]),
    ("06", "市场监管", CategoryKind.EVENT, "SJ", 5, D, "", [
        ("0601", "无照经营", 5, D, "取得执照或停止经营"),
        ("0602", "食品安全", 3, D, "依法查处，问题整改"),
    ]),
    ("90", "热线诉求", CategoryKind.CONSULT, "", 5, D, "", [
        ("9001", "政策咨询", 1, D, "答复清楚", None, CategoryKind.CONSULT),
        ("9002", "求助", 1, D, "问题解决或告知渠道", None, CategoryKind.HELP),
        ("9003", "投诉", 5, D, "调查处理并答复", None, CategoryKind.COMPLAINT),
        ("9004", "举报", 5, D, "调查核实并答复", None, CategoryKind.REPORT),
        ("9005", "意见建议", 5, D, "答复采纳情况", None, CategoryKind.SUGGESTION),
        ("9006", "表扬", 1, D, "转达表扬", None, CategoryKind.PRAISE),
    ]),
]  # fmt: skip

# 准入目录: what departments may push down to communities.
ACCESS = [
    ("FL01", "辖区环境卫生巡查和整治", AccessKind.STATUTORY, "0101", "《城市市容和环境卫生管理条例》"),
    ("FL02", "协助开展道路清扫保洁监督", AccessKind.ASSIST, "0102", ""),
    ("FL03", "协助清理小广告", AccessKind.ASSIST, "0103", ""),
    ("FL04", "协助劝导占道经营", AccessKind.ASSIST, "0201", ""),
    ("FL05", "协助规范非机动车停放", AccessKind.ASSIST, "0203", ""),
    ("ZM01", "出具居住情况证明", AccessKind.CERTIFICATE, None, "社区依法出具的证明事项"),
    ("ZM02", "出具亲属关系证明（限社区掌握情况）", AccessKind.CERTIFICATE, None, ""),
]

TEXTS = {
    "0101": ["小区门口垃圾堆积，散发异味", "菜市场旁边有一堆建筑垃圾没人清理", "河边步道有人倾倒生活垃圾"],
    "0102": ["路面有大片油污，行人容易滑倒", "人行道上落叶和泥沙很多"],
    "0103": ["单元门口贴满了开锁小广告", "公交站牌被乱涂乱画"],
    "0104": ["垃圾桶已经满了，垃圾堆到地上"],
    "0201": ["早上有流动摊贩占用人行道卖菜", "学校门口摊贩堵住通道"],
    "0202": ["水果店把货架摆到人行道上"],
    "0203": ["共享单车堆满了盲道", "电动车乱停堵住消防通道"],
    "0204": ["晚上有人在路边露天烧烤，油烟很大"],
    "0301": ["顶楼住户在楼顶加盖房屋", "一楼住户私自扩建院墙占用绿地"],
    "0302": ["工地晚上十一点还在施工，噪音很大"],
    "0303": ["工地没有覆盖，刮风时灰尘很大"],
    "0401": ["小区外道路上的路灯已经一周不亮了", "桥下路灯坏了，晚上很黑"],
    "0402": ["路口井盖缺失，非常危险", "人行道井盖破损下沉"],
    "0403": ["道路出现大坑，车辆经过颠簸", "人行道砖松动翘起"],
    "0404": ["路边水管爆裂，水一直在流"],
    "0501": ["楼下餐馆油烟直排，家里窗户不敢开"],
    "0502": ["广场舞音响声音太大，影响休息"],
    "0601": ["街边新开的小店好像没有营业执照"],
    "0602": ["早餐店卫生条件差，操作间有老鼠"],
    "9001": ["想咨询老旧小区改造的申请条件"],
    "9006": ["表扬社区网格员帮助独居老人"],
}


def build_catalogue() -> dict[str, Category]:
    city = Region.objects.get(key=CITY_KEY)
    for region in Region.objects.filter(level__in=[Level.CITY, Level.DISTRICT]):
        prefix = "泸州市" if region.level == Level.CITY else region.name
        for suffix, name in EXTRA_DEPARTMENTS:
            Department.objects.get_or_create(
                code=f"{region.key}-{suffix}",
                defaults={"name": prefix + name, "region": region, "region_key": region.key},
            )
    city_departments = {d.code.split("-")[-1]: d for d in Department.objects.filter(region=city)}
    categories: dict[str, Category] = {}
    order = 0
    for code, name, kind, line, limit, unit, closing, children in CATALOGUE:
        order += 1
        parent = Category.objects.create(
            region_key=CITY_KEY, code=code, name=name, kind=kind, department=city_departments.get(line),
            time_limit=limit, time_unit=unit, closing_condition=closing, sort_order=order,
        )  # fmt: skip
        categories[code] = parent
        for child in children:
            child_code, child_name, child_limit, child_unit, child_closing, *rest = child
            child_line = rest[0] if rest and rest[0] else line
            child_kind = rest[1] if len(rest) > 1 else kind
            order += 1
            categories[child_code] = Category.objects.create(
                region_key=CITY_KEY, code=child_code, name=child_name, kind=child_kind, parent=parent,
                department=city_departments.get(child_line), time_limit=child_limit, time_unit=child_unit,
                closing_condition=child_closing, sort_order=order,
            )  # fmt: skip
    for code, name, kind, category, basis in ACCESS:
        AccessCatalogueItem.objects.create(
            region_key=CITY_KEY, code=code, name=name, kind=kind, basis=basis,
            category=categories[category] if category else None,
        )  # fmt: skip
    return categories


class Actors:
    """The demo account that would act at a place, or the system where the demo has none."""

    def __init__(self):
        self.users = list(User.objects.select_related("scope_region", "scope_department").filter(is_active=True))

    def at(self, role: str, key: str) -> User | None:
        for user in self.users:
            if user.role == role and user.scope_region_id and user.scope_region.key == key:
                return user
        return None

    def handler(self, department) -> User | None:
        if department is None:
            return None
        return next(
            (u for u in self.users if u.role == Role.DEPARTMENT_HANDLER and u.scope_department_id == department.pk),
            None,
        )


# How far along each demo case goes, and how often (out of 20).
OUTCOMES = [
    (Status.REPORTED, 2),
    (Status.ACCEPTED, 2),
    (Status.DISPATCHED, 2),
    (Status.IN_PROGRESS, 3),
    (Status.SUSPENDED, 1),
    (Status.RETURNED, 1),
    (Status.HANDLED, 1),
    (Status.VERIFIED, 1),
    (Status.CLOSED, 2),
    (Status.RATED, 4),
    (Status.REJECTED, 1),
]


def build_cases(*, rng, count: int, progress=lambda message: None) -> int:
    """`count` cases over the last 30 days, in the communities that have people in the demo."""
    categories = {c.code: c for c in Category.objects.filter(region_key=CITY_KEY, parent__isnull=False)}
    actors = Actors()
    district = Region.objects.filter(key="510502").first()
    if district is not None and not User.objects.filter(username="district").exists():
        account_services.user_create(
            actor=None, username="district", password="wangge-demo-2026", role=Role.STREET_DISPATCHER,
            display_name="江阳区指挥中心派单员", region_code=district.code,
        )  # fmt: skip
        actors = Actors()
    grids = list(Region.objects.filter(level=Level.GRID, key__startswith="510502").order_by("key")) or list(
        Region.objects.filter(level=Level.GRID).order_by("key")
    )
    # Most cases in the demo accounts' own community, so their inboxes are full.
    home = [g for g in grids if g.key.startswith("510502001001")] or grids
    residents = [u for u in actors.users if u.role == Role.RESIDENT]
    weights = [w for _, w in OUTCOMES]
    now = timezone.now()
    made = 0
    for index in range(count):
        grid = rng.choice(home if rng.random() < 0.6 else grids)
        point = shapely.geometry.shape(grid.geometry).representative_point()
        lng = round(point.x + rng.uniform(-0.0008, 0.0008), 6)
        lat = round(point.y + rng.uniform(-0.0008, 0.0008), 6)
        code = rng.choice([c for c in TEXTS if c in categories and not c.startswith("90")])
        category = categories[code]
        outcome = rng.choices([s for s, _ in OUTCOMES], weights)[0]
        start = now - timedelta(days=rng.uniform(0.2, 30))
        try:
            _one_case(rng, actors, residents, grid, lng, lat, category, outcome, start, now)
            made += 1
        except DomainError as error:  # a demo path the rules refuse: leave it where it stopped
            progress(f"演示案件未走完：{error.message}")
        if (index + 1) % 100 == 0:
            progress(f"案件 {index + 1}/{count}")
    return made


def _one_case(rng, actors, residents, grid, lng, lat, category, outcome, start, now):
    community_key, street_key = grid.key[:12], grid.key[:9]
    gridworker = actors.at(Role.GRID_WORKER, grid.key)
    community = actors.at(Role.COMMUNITY_STAFF, community_key)
    dispatcher = actors.at(Role.STREET_DISPATCHER, street_key)
    resident = rng.choice(residents) if residents and rng.random() < 0.5 else None
    if resident is not None:
        reporter, channel = resident, Channel.RESIDENT
    elif gridworker is not None:
        reporter, channel = gridworker, Channel.GRID
    else:
        reporter, channel = None, rng.choice([Channel.GRID, Channel.HOTLINE])
    clock = [start]

    def tick(hours: float) -> object:
        clock[0] = min(clock[0] + timedelta(hours=hours), now)
        return clock[0]

    text = rng.choice(TEXTS[category.code])
    case = services.case_report(
        actor=reporter, text=text, channel=channel, category=category, lng=lng, lat=lat,
        reporter_name="" if reporter else rng.choice(["张先生", "李女士", "王阿姨", "刘师傅"]),
        reporter_phone="" if reporter else f"170{rng.randrange(10**8):08d}", at=start,
    )  # fmt: skip
    if outcome == Status.REPORTED:
        return
    if outcome == Status.REJECTED:
        services.case_reject(case=case, actor=community, expected_version=case.version, reason="重复反映", at=tick(1))
        return
    case = services.case_accept(case=case, actor=community, expected_version=case.version, at=tick(1))
    if outcome == Status.ACCEPTED:
        return
    lead = _lead(category, grid)
    case = services.case_dispatch(
        case=case, actor=dispatcher, expected_version=case.version, lead=lead, at=tick(rng.uniform(0.5, 3))
    )
    handler = actors.handler(lead)
    if outcome == Status.DISPATCHED:
        return
    if outcome == Status.RETURNED:
        services.case_return(
            case=case, actor=handler, expected_version=case.version, reason="不属于本部门职责", at=tick(2)
        )
        return
    case = services.case_start(case=case, actor=handler, expected_version=case.version, at=tick(1))
    if rng.random() < 0.15:
        case = services.case_urge(case=case, actor=dispatcher, text="请尽快处理", at=tick(2))
    if rng.random() < 0.08:
        case = services.case_supervise(case=case, actor=None, text="列入督办", at=tick(1))
    if outcome == Status.IN_PROGRESS:
        return
    if outcome == Status.SUSPENDED:
        services.case_suspend(
            case=case, actor=handler, expected_version=case.version, reason="等待居民提供现场", at=tick(3)
        )
        return
    case = services.case_handle(
        case=case, actor=handler, expected_version=case.version, report="已到现场处置完毕", at=tick(rng.uniform(2, 20))
    )
    if outcome == Status.HANDLED:
        return
    # Verification needs a photo; the demo's is a tiny generated PNG.
    case = services.case_verify(
        case=case, actor=gridworker, expected_version=case.version, photos=[_demo_photo()], at=tick(3)
    )
    if outcome == Status.VERIFIED:
        return
    case = services.case_close(case=case, actor=dispatcher, expected_version=case.version, at=tick(2))
    if outcome == Status.CLOSED or case.reporter_id is None:
        return
    rating = rng.choices([Rating.SATISFIED, Rating.FAIRLY, Rating.UNSATISFIED], [7, 2, 1])[0]
    services.case_rate(case=case, actor=case.reporter, expected_version=case.version, rating=rating, at=tick(5))


def _lead(category, grid):
    """The category's line at the case's district (the builder makes every district's departments)."""
    if category.department_id is None:
        return Department.objects.filter(region_key=grid.key[:6]).order_by("code").first()
    line = category.department.code.split("-")[-1]
    return Department.objects.filter(code=f"{grid.key[:6]}-{line}").first() or category.department


def _demo_photo():
    """A 1×1 PNG, built by hand so the demo needs no image library."""
    import struct
    import zlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\x4c\xaf\x50"
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return SimpleUploadedFile("verify.png", png, content_type="image/png")


def build(builder) -> None:
    """Called by the demo city builder, inside its transaction."""
    build_catalogue()
    count = 300 if builder.scale_name == "small" else 600
    made = build_cases(rng=builder.rng, count=count, progress=builder.progress)
    builder.counts["cases"] = made
    builder.progress(f"事项清单 {Category.objects.count()} 类，案件 {made} 件")
    # Day-one smart dispatch: a first model from the catalogue's names and the demo's dispatches.
    version = train_from_history(use_history=True, use_catalogue=True, evaluate=False)
    # The cases were filed before there was a model: ask it now, as the worker would have.
    from wangge.dispatch_ai.models import Suggestion, SuggestionStatus
    from wangge.dispatch_ai.services import suggest_for_case

    waiting = Suggestion.objects.filter(case_type="cases.case", status=SuggestionStatus.NO_MODEL)
    texts = dict(Case.objects.filter(pk__in=[int(row.case_id) for row in waiting]).values_list("pk", "text"))
    for row in waiting:
        text = texts[int(row.case_id)]
        suggest_for_case(case_type="cases.case", case_id=row.case_id, text=text, scope_key=row.scope_key)
    builder.progress(f"派单模型 第{version.pk}版")
