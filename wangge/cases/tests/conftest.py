"""Fixtures for the case workflow: a catalogue, the people of every role on the shared tree, and
a helper that brings a case into any status through the real services."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.cases import services
from wangge.cases.models import (
    AccessCatalogueItem,
    AccessKind,
    Category,
    CategoryKind,
    Channel,
    Rating,
    Status,
    TimeUnit,
)
from wangge.regions.models import Department

# A point in each of three grids: 甲一1 and 甲一2 (street A), 乙一1 (street B).
A1 = (105.405, 28.915)
A2 = (105.415, 28.915)
B1 = (105.505, 28.915)
GRID_A1, GRID_A2, GRID_B1 = "510502001001001", "510502001001002", "510502002001001"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def photo(name: str = "scene.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(tree):
    city, district = tree["city"], tree["district"]
    cg = tree["department"]
    zj = Department.objects.create(
        code="510502-ZJ", name="江阳区住房和城乡建设局", region=district, region_key="510502"
    )
    city_cg = Department.objects.create(code="5105-CG", name="泸州市城市管理局", region=city, region_key="5105")
    other = Department.objects.create(
        code="510504-CG", name="龙马潭区城市管理局", region=city, region_key="510504"
    )  # serves another district: never valid for cases in 江阳区
    environment = Category.objects.create(region_key="5105", code="01", name="市容环境", kind=CategoryKind.EVENT)
    garbage = Category.objects.create(
        region_key="5105",
        code="0101",
        name="暴露垃圾",
        parent=environment,
        kind=CategoryKind.EVENT,
        department=city_cg,
        time_limit=1,
        time_unit=TimeUnit.DAYS,
        closing_condition="垃圾清运完毕，现场整洁",
    )
    building = Category.objects.create(
        region_key="5105",
        code="0301",
        name="违法建设",
        kind=CategoryKind.EVENT,
        department=zj,
        time_limit=15,
        time_unit=TimeUnit.DAYS,
    )
    lamp = Category.objects.create(
        region_key="5105", code="0201", name="路灯不亮", kind=CategoryKind.COMPONENT, time_limit=8,
        time_unit=TimeUnit.HOURS,
    )  # fmt: skip
    consult = Category.objects.create(
        region_key="5105", code="9001", name="政策咨询", kind=CategoryKind.CONSULT, time_limit=1
    )
    AccessCatalogueItem.objects.create(
        region_key="5105", code="A01", name="协助开展环境卫生整治", kind=AccessKind.ASSIST, category=garbage
    )
    return {
        "environment": environment,
        "garbage": garbage,
        "building": building,
        "lamp": lamp,
        "consult": consult,
        "cg": cg,
        "zj": zj,
        "city_cg": city_cg,
        "other_cg": other,
    }


@pytest.fixture
def people(users, tree, catalogue):
    """Every role the workflow knows, in street A, plus their counterparts in street B."""
    grids = tree["grids"]
    extra = {
        "community_a": make_user("community_a", Role.COMMUNITY_STAFF, tree["community_a"]),
        "community_b": make_user("community_b", Role.COMMUNITY_STAFF, tree["community_b"]),
        "district_dispatcher": make_user("district_dispatcher", Role.STREET_DISPATCHER, tree["district"]),
        "handler_zj": make_user("handler_zj", Role.DEPARTMENT_HANDLER, department=catalogue["zj"]),
        "gridworker_a2": make_user("gridworker_a2", Role.GRID_WORKER, grids[GRID_A2]),
        "gridworker_b": make_user("gridworker_b", Role.GRID_WORKER, grids[GRID_B1]),
        "hotline": make_user("hotline", Role.HOTLINE_OPERATOR, tree["city"]),
        "leader": make_user("leader", Role.LEADER, tree["city"]),
        "leader_b": make_user("leader_b", Role.LEADER, tree["street_b"]),
        "resident_b": make_user("resident_b", Role.RESIDENT, grids[GRID_B1]),
    }
    return {**users, **extra}


class Driver:
    """Brings cases into a status by the ordinary path, each step by the person who does it."""

    def __init__(self, people, catalogue):
        self.p = people
        self.c = catalogue

    def report(self, *, where=A1, category="garbage", by="resident_a", text="小区门口垃圾堆积，散发异味", **kw):
        channel = Channel.RESIDENT if self.p[by].role == Role.RESIDENT else Channel.GRID
        return services.case_report(
            actor=self.p[by],
            text=text,
            channel=kw.pop("channel", channel),
            category=self.c[category] if category else None,
            lng=where[0],
            lat=where[1],
            **kw,
        )

    def step(self, case, fn, who, **data):
        return fn(case=case, actor=self.p[who], expected_version=case.version, **data)

    def to(self, status: str, *, case=None, category="garbage", where=A1, **kw):
        s = services
        case = case or self.report(category=category, where=where, **kw)
        community = "community_a" if where != B1 else "community_b"
        dispatcher = "dispatcher_a" if where != B1 else "dispatcher_b"
        path = {
            Status.REPORTED: [],
            Status.ACCEPTED: [(s.case_accept, community, {})],
            Status.DISPATCHED: [(s.case_accept, community, {}), (s.case_dispatch, dispatcher, {"lead": self.c["cg"]})],
            Status.RETURNED: [
                (s.case_accept, community, {}),
                (s.case_dispatch, dispatcher, {"lead": self.c["cg"]}),
                (s.case_return, "handler", {"reason": "不属于本部门职责"}),
            ],
            Status.REJECTED: [(s.case_reject, community, {"reason": "重复反映"})],
            Status.TRANSFERRED: [(s.case_transfer, "hotline", {"service": "119", "reference": "HJ-1"})],
        }
        if status == Status.ARBITRATION:
            case = self.to(Status.RETURNED, case=case)
            case = self.step(case, s.case_dispatch, dispatcher, lead=self.c["zj"])
            return self.step(case, s.case_return, "handler_zj", reason="也不属于本部门")
        if status == Status.MERGED:
            target = self.report(where=where, category=category)
            return self.step(case, s.case_merge, community, into=target)
        later = [
            Status.IN_PROGRESS,
            Status.SUSPENDED,
            Status.HANDLED,
            Status.VERIFIED,
            Status.CLOSED,
            Status.RATED,
        ]
        if status in path:
            for fn, who, data in path[status]:
                case = self.step(case, fn, who, **data)
            return case
        if case.status != Status.DISPATCHED:
            case = self.to(Status.DISPATCHED, case=case)
        gridworker = "gridworker_a" if where == A1 else ("gridworker_a2" if where == A2 else "gridworker_b")
        steps = [
            (s.case_start, "handler", {}),
            (s.case_suspend, "handler", {"reason": "等待居民提供材料"}),
            (s.case_handle, "handler", {"report": "已清运", "photos": [photo()]}),
            (s.case_verify, gridworker, {"photos": [photo()]}),
            (s.case_close, dispatcher, {}),
            (s.case_rate, "resident_a", {"rating": Rating.UNSATISFIED}),
        ]
        for target, (fn, who, data) in zip(later, steps):
            if target == Status.HANDLED:  # suspension was a detour
                case = self.step(case, s.case_resume, "handler")
            case = self.step(case, fn, who, **data)
            if case.status == status:
                return case
        raise AssertionError(f"no path to {status}")


@pytest.fixture
def drive(people, catalogue):
    return Driver(people, catalogue)
