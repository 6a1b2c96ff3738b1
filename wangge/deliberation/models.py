"""Deliberation (议事协商, DOMAIN §7): matters residents raise, the meetings that discuss them, the
votes that decide them, the work that carries them out and the residents' ratings of the result.

Only `workflow.matter_transition` changes `Matter.status`. A published vote and its ballots are
unalterable: the database refuses any change to them (triggers in migration 0002).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped
from wangge.regions.models import Building, Compound, Household, Region


class PlaceLevel(models.TextChoices):
    BUILDING = "building", _("楼栋")
    COMPOUND = "compound", _("小区")
    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")


class Place(models.Model):
    """Where a matter or meeting belongs: a community or grid (region), or a compound or building
    inside a grid. `region_key` is the narrowest region key of the place, for scoped reads."""

    level = models.CharField(_("层级"), max_length=10, choices=PlaceLevel.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("社区/网格"))
    compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("小区")
    )
    building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("楼栋")
    )
    region_key = models.CharField(max_length=17, db_index=True)

    class Meta:
        abstract = True

    @property
    def place_label(self) -> str:
        if self.building_id:
            return f"{self.compound.name}{self.building.name}"
        if self.compound_id:
            return self.compound.name
        return self.region.name

    def households(self):
        """The households of the place (for the one-vote-per-household rule)."""
        if self.building_id:
            return Household.objects.filter(building_id=self.building_id)
        if self.compound_id:
            return Household.objects.filter(building__compound_id=self.compound_id)
        return Household.objects.filter(region_key__startswith=self.region.key)


class Status(models.TextChoices):
    PROPOSED = "proposed", _("征集附议")
    HEARING = "hearing", _("网格听事")
    MERGED = "merged", _("已合并")
    ANSWERED = "answered", _("已答复")
    REFERRED = "referred", _("已转案件")
    SCHEDULED = "scheduled", _("待议事")
    DECIDED = "decided", _("已表决通过")
    REJECTED = "rejected", _("表决未通过")
    IN_PROGRESS = "in_progress", _("协同办事")
    DONE = "done", _("已办结待评价")
    CLOSED = "closed", _("已评结")


FINISHED = frozenset({Status.MERGED, Status.ANSWERED, Status.REFERRED, Status.REJECTED, Status.CLOSED})


class Matter(Place, TimeStamped):
    """One matter residents raise (居民提事), followed through the six steps."""

    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("事项描述"))
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("位置"), max_length=200, blank=True)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出人")
    )
    on_behalf_of = models.CharField(_("代居民提出"), max_length=50, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    version = models.PositiveIntegerField(default=1)
    support_count = models.PositiveIntegerField(_("附议人数"), default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged", verbose_name=_("合并到")
    )
    answer = models.TextField(_("答复"), blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("转办案件")
    )
    meeting = models.ForeignKey(
        "Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="agenda", verbose_name=_("议事会议")
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("议事事项")
        indexes = [models.Index(fields=["region_key", "status"], name="matter_key_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="matter_status_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="matter_title_present"),
            models.CheckConstraint(
                condition=~Q(status=Status.MERGED) | Q(merged_into__isnull=False), name="matter_merged_has_target"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.REFERRED) | Q(case__isnull=False), name="matter_referred_has_case"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.SCHEDULED) | Q(meeting__isnull=False), name="matter_scheduled_has_meeting"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class MatterPhoto(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="deliberation/%Y/%m/")
    content_type = models.CharField(max_length=40)
    original_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class MatterEvent(models.Model):
    """The matter's timeline: every move of the workflow, with who made it and a note."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=24)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    @property
    def status_label(self) -> str:
        return Status(self.to_status).label if self.to_status in Status.values else ""


class Support(models.Model):
    """One person's support (附议) of a matter; one per person."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["matter", "user"], name="support_once_per_person")]


class Home(models.Model):
    """The household a resident account votes for under the one-vote-per-household rule. Recorded
    by staff who keep the ledgers; an account has at most one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="home")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")


class VoterRule(models.TextChoices):
    HOUSEHOLD = "household", _("本议事范围内每户一票")
    REPRESENTATIVES = "representatives", _("到会居民代表每人一票")


class Majority(models.TextChoices):
    SIMPLE = "simple", _("过半数")
    TWO_THIRDS = "two_thirds", _("三分之二以上")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("筹备中")
    HELD = "held", _("已召开")


class Meeting(Place, TimeStamped):
    """A deliberation meeting (社区议事) with its voting rules, chosen when it is called."""

    title = models.CharField(_("会议名称"), max_length=100)
    starts_at = models.DateTimeField(_("召开时间"))
    venue = models.CharField(_("地点"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    voter_rule = models.CharField(_("表决资格"), max_length=16, choices=VoterRule.choices)
    quorum_percent = models.PositiveSmallIntegerField(_("参与率下限（%）"), default=50)
    majority = models.CharField(_("通过规则"), max_length=12, choices=Majority.choices, default=Majority.SIMPLE)
    minutes = models.TextField(_("会议纪要"), blank=True)
    convener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("议事会议")
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_percent__gte=1, quorum_percent__lte=100), name="meeting_quorum_range"
            ),
            models.CheckConstraint(condition=Q(voter_rule__in=VoterRule.values), name="meeting_voter_rule_valid"),
            models.CheckConstraint(condition=Q(majority__in=Majority.values), name="meeting_majority_valid"),
        ]

    def __str__(self):
        return self.title


class Category(models.TextChoices):
    REPRESENTATIVE = "representative", _("居民代表")
    PARTY_MEMBER = "party_member", _("党员")
    PROPERTY = "property", _("物业企业")
    OWNERS_COMMITTEE = "owners_committee", _("业委会")
    UNIT = "unit", _("驻区单位")
    OTHER = "other", _("其他")


class Participant(models.Model):
    """Someone invited to a meeting, by category; `user` when they have an account (representatives
    must, to vote)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    name = models.CharField(_("姓名/单位"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attended = models.BooleanField(_("出席"), default=False)

    class Meta:
        ordering = ["category", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"], condition=Q(user__isnull=False), name="participant_once_per_meeting"
            ),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="participant_category_valid"),
        ]


class MeetingFile(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="deliberation/%Y/%m/")
    content_type = models.CharField(max_length=40)
    original_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Comment(models.Model):
    """An online comment on a meeting, before or after it is held."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("意见"))
    after_meeting = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Choice(models.TextChoices):
    YES = "yes", _("同意")
    NO = "no", _("反对")
    ABSTAIN = "abstain", _("弃权")


class Vote(models.Model):
    """The vote on one agenda matter (民主定事). Counts are written once, when it is published."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="votes")
    matter = models.OneToOneField(Matter, on_delete=models.PROTECT, related_name="vote")
    question = models.CharField(_("表决事项"), max_length=200)
    opened_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    eligible = models.PositiveIntegerField(default=0)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    quorum_met = models.BooleanField(default=False)
    passed = models.BooleanField(default=False)

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain

    def __str__(self) -> str:
        return self.question


class Ballot(models.Model):
    """One voter's ballot. Under the household rule it names the household it speaks for, and a
    household votes once."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "voter"], name="ballot_once_per_voter"),
            models.UniqueConstraint(
                fields=["vote", "household"], condition=Q(household__isnull=False), name="ballot_once_per_household"
            ),
            models.CheckConstraint(condition=Q(choice__in=Choice.values), name="ballot_choice_valid"),
        ]


class Task(TimeStamped):
    """One piece of the carrying out (协同办事): a task with an owner and a deadline, or a case
    filed through the cases app, whose closing counts as done."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(_("任务"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任人"),
    )
    owner_name = models.CharField(_("责任人/单位"), max_length=100)
    deadline = models.DateField(_("完成期限"))
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("案件")
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    note = models.TextField(_("完成情况"), blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="task_title_present")]


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    FAIRLY = "fairly", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Evaluation(models.Model):
    """A resident's rating of the result (居民评事), published with the decision."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="evaluations")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "rater"], name="evaluation_once_per_person"),
            models.CheckConstraint(condition=Q(rating__in=Rating.values), name="evaluation_rating_valid"),
        ]
