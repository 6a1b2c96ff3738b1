"""The resident ledger (实有人口) in Excel: its columns and how rows become residents.

One person is one record, identified by ID number through the blind index `id_index`. A row whose
ID number is already registered updates that person: category, phone, origin and note in bulk;
a different household is a move, and a person who left is moved back in — both through the
ledger's own `resident_move` / `resident_move_in_by_id`, so the residence history and care
records follow exactly as on the resident page. The same ID number with a different name or birth
date is an error naming both the row and the registered person, never a silent merge. The
household is named by its address — grid code, compound, building, unit, room — and must already
exist inside the uploader's scope (houses are the house ledger's business). Blank optional cells
never erase a stored value. New residents get their first residence (registered) in the same bulk
write, and name the import job that registered them (`Resident.import_job`) instead of an audit
event each; changed rows are audited one by one.
"""

import datetime
import operator
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import KEEP_LEDGERS, VIEW_PEOPLE
from wangge.core import pii
from wangge.core.errors import DomainError
from wangge.core.scope import restrict
from wangge.regions.models import Household, Level, Region
from wangge.sheets import bulk
from wangge.sheets.spec import (
    NEW,
    UNCHANGED,
    UPDATED,
    Column,
    Context,
    LedgerSpec,
    Plan,
    Row,
    StaleRows,
    choice,
    date,
    digits,
    id_number,
    integer,
    mobile,
    register,
    text,
)

from .common import birth_and_gender, household_address
from .models import Gender, MoveReason, Residence, ResidenceKind, Resident

GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE}
IMPORT_NOTE = "Excel导入"  # on the residences an import opens, so the history says where they came from
KINDS = {"户籍人口": ResidenceKind.REGISTERED, "流动人口": ResidenceKind.FLOATING}
GENDER_LABELS = {value: label for label, value in GENDERS.items()}
KIND_LABELS = {value: label for label, value in KINDS.items()}

H_NAME, H_ID, H_GENDER, H_BIRTH, H_PHONE = "姓名", "身份证号", "性别", "出生日期", "手机号"
H_KIND, H_MOVED, H_GRID, H_COMPOUND, H_BUILDING, H_UNIT, H_ROOM = (
    "人口类别",
    "入住日期",
    "网格编码",
    "小区",
    "楼栋",
    "单元",
    "房号",
)
H_ORIGIN, H_NOTE = "户籍地", "备注"

COLUMNS = (
    Column(
        H_NAME, "name", text(50), required=True, width=10, example="张三", hint=gettext_lazy("与身份证上的姓名一致")
    ),
    Column(
        H_ID,
        "id_number",
        id_number(),
        required=True,
        width=21,
        as_text=True,
        example="510502199001019012",
        aliases=("公民身份号码", "身份证号码"),
        hint=gettext_lazy("18位公民身份号码，末位可为X。系统按身份证号识别同一个人：已登记的人再次导入即更新"),
    ),
    Column(
        H_GENDER,
        "gender",
        choice(GENDERS),
        width=6,
        example="男",
        choices=tuple(GENDERS),
        hint=gettext_lazy("可不填，系统按身份证号第17位判断；填写时须与身份证号一致"),
    ),
    Column(
        H_BIRTH,
        "birth_date",
        date(),
        width=12,
        is_date=True,
        example="1990-01-01",
        hint=gettext_lazy("可不填；填写时须与身份证号中的出生日期一致"),
    ),
    Column(
        H_PHONE,
        "phone",
        mobile(allow_masked=True),
        width=13,
        as_text=True,
        example="17012345678",
        hint=gettext_lazy("11位手机号。脱敏导出的“170****5678”表示沿用系统中已有的号码"),
    ),
    Column(
        H_KIND,
        "kind",
        choice(KINDS),
        required=True,
        width=10,
        example="户籍人口",
        choices=tuple(KINDS),
        hint=gettext_lazy("户籍人口或流动人口"),
    ),
    Column(
        H_MOVED,
        "moved_in",
        date(),
        width=12,
        is_date=True,
        example="2015-06-01",
        hint=gettext_lazy("搬入该住户的日期（新登记或换了住户时使用），不填为导入当天；不能早于出生日期"),
    ),
    Column(
        H_GRID,
        "grid_code",
        digits(15),
        required=True,
        width=17,
        as_text=True,
        example="510502001001001",
        hint=gettext_lazy("住户所在网格的15位编码（网格页面上可以查到）"),
    ),
    Column(
        H_COMPOUND,
        "compound",
        text(100),
        required=True,
        width=14,
        example="锦绣花园",
        hint=gettext_lazy("小区名称，与系统中一致"),
    ),
    Column(
        H_BUILDING,
        "building",
        text(50),
        required=True,
        width=8,
        example="1栋",
        hint=gettext_lazy("楼栋名称，与系统中一致，如“1栋”"),
    ),
    Column(H_UNIT, "unit", integer(1, 99), required=True, width=6, example="1", hint=gettext_lazy("单元号，数字")),
    Column(
        H_ROOM,
        "room",
        text(10),
        required=True,
        width=8,
        as_text=True,
        example="101",
        hint=gettext_lazy("房号，如“101”"),
    ),
    Column(
        H_ORIGIN, "origin", text(100), width=16, example="四川省泸州市江阳区", hint=gettext_lazy("户籍所在地，可不填")
    ),
    Column(H_NOTE, "note", text(200), width=20, hint=gettext_lazy("备注，可不填")),
)

# Columns of registry_resident written by an import, in this order.
INSERT_FIELDS = (
    "created_at",
    "updated_at",
    "name",
    "id_cipher",
    "id_index",
    "id_masked",
    "gender",
    "birth_date",
    "phone_cipher",
    "phone_index",
    "phone_masked",
    "household",
    "region_key",
    "kind",
    "moved_in",
    "left_on",
    "origin",
    "note",
    "import_job",
)
# The first residence of each new resident, as `resident_create` opens it.
RESIDENCE_FIELDS = (
    "resident",
    "household",
    "region_key",
    "started",
    "start_reason",
    "ended",
    "end_reason",
    "recorded_by",
    "note",
    "created_at",
)
REGISTERED_FIELDS = (
    "id",
    "id_index",
    "name",
    "birth_date",
    "gender",
    "phone_index",
    "phone_masked",
    "household",
    "region_key",
    "kind",
    "moved_in",
    "left_on",
    "origin",
    "note",
)


@dataclass
class Registered:
    pk: int
    name: str
    birth_date: datetime.date
    gender: str
    phone_index: str
    phone_masked: str
    household_id: int | None
    region_key: str
    kind: str
    moved_in: datetime.date | None
    left_on: datetime.date | None
    origin: str
    note: str


@dataclass
class Move:
    household_pk: int
    on: datetime.date
    from_elsewhere: bool  # a person who left another region: found by the full ID number


@dataclass
class Lookups:
    households: dict  # (grid, compound, building, unit, room) -> (household pk, region key)
    grids: set  # grid codes inside the scope
    compounds: dict = field(default_factory=lambda: defaultdict(set))  # grid -> compound names
    buildings: dict = field(default_factory=lambda: defaultdict(set))  # (grid, compound) -> building names
    registered: dict = field(default_factory=dict)  # id_index -> Registered


def _households_at(scope: str, grid_codes: list[str]) -> dict:
    """{(grid code, compound, building, unit, room): (household pk, region key)} for the
    households of these grids that lie inside the scope: how a row's address finds its household."""
    households = {}
    for start in range(0, len(grid_codes), 500):
        found = Household.objects.filter(
            region_key__startswith=scope, building__compound__grid__code__in=grid_codes[start : start + 500]
        ).values_list(
            "pk",
            "region_key",
            "unit",
            "room",
            "building__name",
            "building__compound__name",
            "building__compound__grid__code",
        )
        for pk, region_key, unit, room, building, compound, grid in found:
            households[(grid, compound, building, unit, room)] = (pk, region_key)
    return households


def prepare(ctx: Context, rows: list[Row]) -> Lookups:
    """Households the rows name (inside the scope) and people already registered with the rows'
    ID numbers (anywhere: one person is one record), in a handful of queries."""
    blind_index = pii.blind_index
    for row in rows:
        row.values["_index"] = blind_index(row.values["id_number"])
    scope = ctx.scope_key
    codes = sorted({row.values["grid_code"] for row in rows})
    lookups = Lookups(households=_households_at(scope, codes), grids=set())
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        lookups.grids.update(
            Region.objects.filter(code__in=chunk, level=Level.GRID, key__startswith=scope).values_list(
                "code", flat=True
            )
        )
    for grid, compound, building, _unit, _room in lookups.households:
        lookups.compounds[grid].add(compound)
        lookups.buildings[(grid, compound)].add(building)
    indexes = [row.values["_index"] for row in rows]
    for pk, index, *rest in bulk.rows_in(Resident, "id_index", indexes, REGISTERED_FIELDS, for_update=ctx.committing):
        lookups.registered[index] = Registered(pk, *rest)
    return lookups


def _address(household_pk: int | None) -> str:
    """Where a registered person lives, for the message about a conflicting row (rare: one query)."""
    household = (
        Household.objects.select_related("building__compound").filter(pk=household_pk).first() if household_pk else None
    )
    return household_address(household) if household is not None else _("无住址")


def _address_error(row: Row, lookups: Lookups) -> None:
    """Say which part of the address is wrong, listing what exists there (inside the scope only)."""
    v = row.values
    grid, compound, building = v["grid_code"], v["compound"], v["building"]
    if grid not in lookups.grids:
        row.fail(H_GRID, _("网格编码%(g)s不存在，或不在您的管辖范围内") % {"g": grid})
    elif compound not in lookups.compounds[grid]:
        known = "、".join(sorted(lookups.compounds[grid])[:8]) or _("无")
        row.fail(H_COMPOUND, _("网格%(g)s中没有小区“%(c)s”（已有：%(k)s）") % {"g": grid, "c": compound, "k": known})
    elif building not in lookups.buildings[(grid, compound)]:
        known = "、".join(sorted(lookups.buildings[(grid, compound)])[:12])
        row.fail(
            H_BUILDING, _("小区“%(c)s”中没有楼栋“%(b)s”（已有：%(k)s）") % {"c": compound, "b": building, "k": known}
        )
    else:
        row.fail(
            H_ROOM,
            _("%(c)s%(b)s没有%(u)d单元%(r)s这一户：请先在房屋台账中登记")
            % {"c": compound, "b": building, "u": v["unit"], "r": v["room"]},
        )


def _check_person(ctx: Context, row: Row, person: Registered, birth: datetime.date, household) -> None:
    """A registered ID number: same person (name and birth date), reachable from this scope, and
    a move date that fits the residence history."""
    v = row.values
    in_scope = person.region_key.startswith(ctx.scope_key)
    if not in_scope and person.left_on is None:
        row.fail(H_ID, _("此人已登记在您管辖范围以外的住户：如已搬入本辖区，请先由原社区办理迁出"))
        return
    if person.name != v["name"] or person.birth_date != birth:
        if in_scope:
            row.fail(
                H_NAME,
                _(
                    "与已登记的居民不一致：本行为“%(n)s，%(b)s”，系统中同一身份证号的是“%(pn)s，%(pb)s”"
                    "（居民编号%(pk)d，%(a)s）"
                )
                % {
                    "n": v["name"],
                    "b": birth.isoformat(),
                    "pn": person.name,
                    "pb": person.birth_date.isoformat(),
                    "pk": person.pk,
                    "a": _address(person.household_id),
                },
            )
        else:  # someone who left another region: say nothing about that record
            row.fail(H_NAME, _("与系统中登记的此身份证号的姓名或出生日期不一致，请核对"))
        return
    if household is None:
        return
    on = v["moved_in"] or ctx.today
    if person.left_on is not None:
        if on < person.left_on:
            row.fail(H_MOVED, _("迁入日期%(d)s早于此人的迁出日期%(l)s") % {"d": on, "l": person.left_on})
    elif person.household_id != household[0] and person.moved_in and on < person.moved_in:
        row.fail(
            H_MOVED,
            _("此人%(m)s起住在%(a)s：搬到新住户的日期不能更早（填写搬入新住户的日期，不填为今天）")
            % {"m": person.moved_in, "a": _address(person.household_id)},
        )


def check(ctx: Context, row: Row, lookups: Lookups) -> Plan | None:
    v = row.values
    number = v["id_number"]
    birth, gender = birth_and_gender(number)
    if v["gender"] is not None and v["gender"] != gender:
        row.fail(H_GENDER, _("与身份证号不一致：身份证号表明为%(g)s") % {"g": GENDER_LABELS[gender]})
    if v["birth_date"] is not None and v["birth_date"] != birth:
        row.fail(H_BIRTH, _("与身份证号中的出生日期%(d)s不一致") % {"d": birth.isoformat()})
    if v["moved_in"] is not None and v["moved_in"] < birth:
        row.fail(H_MOVED, _("早于出生日期%(d)s") % {"d": birth.isoformat()})
    household = lookups.households.get((v["grid_code"], v["compound"], v["building"], v["unit"], v["room"]))
    if household is None:
        _address_error(row, lookups)
    person = lookups.registered.get(v["_index"])
    phone = v["phone"]
    keep_phone = False
    if phone is not None and "*" in phone:
        if person is not None and person.phone_masked == phone:
            keep_phone = True
        else:
            row.fail(H_PHONE, _("手机号已打码，且与系统中此人的号码不符：请填写完整的手机号"))
    if person is not None:
        _check_person(ctx, row, person, birth, household)
    if row.errors:
        return None
    household_pk, region_key = household
    if person is None:
        # `after` (the audit snapshot) is filled in by `write`, which computes the masks anyway.
        return Plan(
            row,
            NEW,
            label=v["name"],
            scope_key=region_key,
            data=(number, birth, gender, phone, household_pk, region_key, v["moved_in"] or ctx.today),
        )
    move = None
    if person.left_on is not None or person.household_id != household_pk:
        on = v["moved_in"] or ctx.today
        move = Move(household_pk, on, from_elsewhere=not person.region_key.startswith(ctx.scope_key))
    changes, before, after = {}, {}, {}
    if person.kind != v["kind"]:
        changes["kind"] = after["kind"] = v["kind"]
        before["kind"] = person.kind
    if person.gender != gender:
        changes["gender"] = after["gender"] = gender
        before["gender"] = person.gender
    if phone is not None and not keep_phone:
        index = pii.phone_index(phone)
        if index != person.phone_index:
            masked = pii.mask_phone(phone)
            changes["phone"] = (phone, index, masked)  # `write` only has to encrypt it
            before["phone_masked"], after["phone_masked"] = person.phone_masked, masked
    for name in ("origin", "note"):
        if v[name] is not None and v[name] != getattr(person, name):
            changes[name] = after[name] = v[name]
            before[name] = getattr(person, name)
    if not changes and move is None:
        return Plan(row, UNCHANGED, target_id=person.pk)
    # A move is written and audited by the ledger's own service; the plan's snapshot holds the rest.
    return Plan(
        row,
        UPDATED,
        target_id=person.pk,
        label=person.name,
        scope_key=region_key if move else person.region_key,
        before=before or None,
        after=after or None,
        data=(changes, move),
    )


def write(ctx: Context, plans: list[Plan]) -> None:
    """New people in one bulk insert (sorted by blind index, which keeps the unique index's pages
    warm) with their first residence; moves through the ledger's services, one by one (a move
    also closes and opens residences and carries care records along); other changes in bulk,
    grouped by the set of fields they change."""
    _write_new(ctx, [plan for plan in plans if plan.outcome == NEW])
    updated = [plan for plan in plans if plan.outcome == UPDATED]
    _write_moves(ctx, [plan for plan in updated if plan.data[1] is not None])
    encrypt = pii.encrypt
    now = timezone.now()
    groups: dict[tuple, list] = defaultdict(list)
    for plan in updated:
        changes = dict(plan.data[0])
        if not changes:
            continue
        phone = changes.pop("phone", None)
        if phone is not None:
            number, changes["phone_index"], changes["phone_masked"] = phone
            changes["phone_cipher"] = encrypt(number)
        changes["updated_at"] = now
        names = tuple(sorted(changes))
        groups[names].append((*(changes[name] for name in names), plan.target_id))
    for names, values in groups.items():
        bulk.update_rows(Resident, names, values)


def _write_new(ctx: Context, new: list[Plan]) -> None:
    """New people found at the commit itself (the file read again): built and written exactly as
    the dry run's staged ones are. No audit event per person: each new row carries the import job
    (`import_job`), whose `sheets.import` event names who imported which file when."""
    if new:
        write_staged(ctx, stage(ctx, new))


# What `stage` keeps of each new person for the commit. The household is kept as the row's address,
# not as the household it found: the commit finds it again, so a room renumbered or a building
# renamed since the dry run is noticed there, as when the file itself is checked again.
STAGED_FIELDS = (
    "name",
    "id_cipher",
    "id_index",
    "id_masked",
    "gender",
    "birth_date",  # day number
    "phone_cipher",
    "phone_index",
    "phone_masked",
    "grid_code",
    "compound",
    "building",
    "unit",
    "room",
    "kind",
    "moved_in",  # day number, or None: the day of the commit
    "origin",
    "note",
)
_ADDRESS = slice(STAGED_FIELDS.index("grid_code"), STAGED_FIELDS.index("room") + 1)


def stage(ctx: Context, new: list[Plan]) -> list[tuple]:
    """The dry run's new people as they will be stored, in the order of STAGED_FIELDS (sorted by
    blind index, which keeps the unique index's pages warm when they go in): ID number and phone
    already encrypted, indexed and masked, dates as day numbers."""
    encrypt, mask_id, protect_phone = pii.encrypt, pii.mask_id_number, pii.protect_phone
    new.sort(key=lambda plan: plan.row.values["_index"])
    staged = []
    append = staged.append
    for plan in new:
        number, birth, gender, phone, *_rest = plan.data
        values = plan.row.values
        moved_in = values["moved_in"]
        append(
            (
                values["name"],
                encrypt(number),
                values["_index"],
                mask_id(number),
                "" + gender,
                birth.toordinal(),
                *protect_phone(phone),
                values["grid_code"],
                values["compound"],
                values["building"],
                values["unit"],
                values["room"],
                "" + values["kind"],
                moved_in.toordinal() if moved_in is not None else None,
                values["origin"] or "",
                values["note"] or "",
            )
        )
    return staged


def write_staged(ctx: Context, staged: list[tuple]) -> None:
    """Insert the people `stage` built at the dry run, with their first residence. What can have
    changed since is checked here: each row's address must still name a household inside the
    uploader's scope as it is now (else StaleRows), and someone registered meanwhile with one of
    these ID numbers trips the unique blind index (IntegrityError). Either way nothing stays
    written and the commit checks the file again, row by row, which words the errors."""
    households = _households_at(ctx.scope_key, sorted({row[_ADDRESS.start] for row in staged}))
    now = timezone.now()
    stamp = bulk.adapter(Resident, "created_at")(now)
    adapt_date = bulk.adapter(Resident, "birth_date")
    days = {None: adapt_date(ctx.today)}

    def as_date(day):
        try:
            return days[day]
        except KeyError:
            days[day] = adapted = adapt_date(datetime.date.fromordinal(day))
            return adapted

    job_pk = ctx.job.pk
    rows = []
    append = rows.append
    for (
        name,
        id_cipher,
        id_index,
        id_masked,
        gender,
        birth,
        *phone,
        grid,
        compound,
        building,
        unit,
        room,
        kind,
        moved_in,
        origin,
        note,
    ) in staged:
        try:
            household, region_key = households[(grid, compound, building, unit, room)]
        except KeyError:
            raise StaleRows from None
        append(
            (stamp, stamp, name, id_cipher, id_index, id_masked, gender, as_date(birth), *phone, household)
            + (region_key, kind, as_date(moved_in), None, origin, note, job_pk)
        )
    ids = bulk.insert_with_ids(Resident, INSERT_FIELDS, rows, key="id_index", adapted=True)
    del rows
    # The first residences straight from the rows just written: nothing to send per row.
    bulk.copy_rows(
        Residence,
        RESIDENCE_FIELDS,
        Resident,
        ("id", "household", "region_key", "moved_in"),
        constants=(MoveReason.REGISTERED, None, "", getattr(ctx.actor, "pk", None), IMPORT_NOTE, stamp),
        where={"import_job": job_pk},
        pk_range=(min(ids), max(ids)),
    )


def _write_moves(ctx: Context, moves: list[Plan]) -> None:
    """Moves and returns, through the same services as the resident page (few in a typical file)."""
    if not moves:
        return
    from .services import resident_move, resident_move_in_by_id

    people = Resident.objects.in_bulk([plan.target_id for plan in moves])
    households = Household.objects.in_bulk([plan.data[1].household_pk for plan in moves])
    for plan in moves:
        move: Move = plan.data[1]
        household = households[move.household_pk]
        try:
            if move.from_elsewhere:
                resident_move_in_by_id(
                    actor=ctx.actor,
                    id_number=plan.row.values["id_number"],
                    household=household,
                    on=move.on,
                    note=IMPORT_NOTE,
                )
            else:
                resident_move(
                    actor=ctx.actor, resident=people[plan.target_id], household=household, on=move.on, note=IMPORT_NOTE
                )
        except DomainError as error:
            raise DomainError(
                _("第%(n)d行：%(m)s") % {"n": plan.row.number, "m": error.message}, code=error.code, field=error.field
            ) from None


def _people(ctx: Context):
    """Residents living in the region now (those who left stay on the resident page, not here)."""
    people = restrict(Resident.objects.all(), ctx.actor) if ctx.actor is not None else Resident.objects.all()
    return people.filter(region_key__startswith=ctx.region_key, left_on__isnull=True)


def export_count(ctx: Context) -> int:
    return _people(ctx).count()


def export(ctx: Context):
    """Rows in the template's column order: masked ID numbers and phones unless revealed."""
    decrypt = pii.decrypt
    id_field, phone_field = ("id_cipher", "phone_cipher") if ctx.reveal else ("id_masked", "phone_masked")
    rows = (
        _people(ctx)
        .order_by("region_key", "household_id", "id")  # people of one household together
        .values_list(
            "name",
            id_field,
            "gender",
            "birth_date",
            phone_field,
            "kind",
            "moved_in",
            "household__building__compound__grid__code",
            "household__building__compound__name",
            "household__building__name",
            "household__unit",
            "household__room",
            "origin",
            "note",
        )
    )
    for name, number, gender, birth, phone, kind, moved_in, *address, origin, note in rows.iterator(chunk_size=2000):
        if ctx.reveal:
            number = decrypt(number)
            phone = decrypt(phone) if phone else ""
        yield (
            name,
            number,
            GENDER_LABELS.get(gender, ""),
            birth,
            phone,
            KIND_LABELS.get(kind, ""),
            moved_in,
            *address,
            origin,
            note,
        )


RESIDENTS = register(
    LedgerSpec(
        name="residents",
        title="实有人口",
        columns=COLUMNS,
        key_field="id_number",
        model=Resident,
        prepare=prepare,
        check=check,
        write=write,
        stage=stage,
        write_staged=write_staged,
        staged_order=operator.itemgetter(STAGED_FIELDS.index("id_index")),
        export=export,
        export_count=export_count,
        audit_verb="resident.import",
        view_capability=VIEW_PEOPLE,
        write_capability=KEEP_LEDGERS,
        description=gettext_lazy("实有人口台账：户籍人口和流动人口，每人一行，按身份证号识别同一个人。"),
        notes=(
            gettext_lazy(
                "住址用“网格编码 + 小区 + 楼栋 + 单元 + 房号”指明，这一户必须已在系统中、"
                "且在您的管辖范围内；新房屋请先在房屋台账登记。"
            ),
            gettext_lazy("身份证号相同而姓名或出生日期不同的行不会被合并，会作为错误列出，并写明系统中已登记的是谁。"),
            gettext_lazy(
                "已登记的人换了住户（或已迁出又回来）时，按“入住日期”办理迁移，居住记录随之更新；"
                "不换住户时，“入住日期”不会改动已登记的日期。"
            ),
        ),
    )
)

# The registry's other ledgers live in their own modules; importing them registers them.
from . import care_sheets, house_sheets, visit_sheets  # noqa: E402, F401

__all__ = ["RESIDENTS", "COLUMNS"]
