"""Hazards (隐患) and their closed loop: report → verify → grade → rectify → accept → close.

A ``Hazard`` is reported by anyone on site (photos, voice, video as attachments), verified or
rejected, graded (一般/重大, risk colour by LEC or the site's LS matrix, 即查即改/限期整改), assigned for rectification, rectified
with evidence, accepted by someone else and closed (销号). Every step is a ``HazardStep`` on its
timeline; a major hazard also has a ``MajorHazardPlan`` (six elements) with its approval. Likely
duplicates found at report time are kept as ``DuplicateCandidate``s for the verifier. A site's
grading method and LS matrix are its ``RiskMatrix``. The major-hazard determination standards
(重大事故隐患判定标准), versioned by effective date, are ``CriteriaSet``s with their ``CriteriaItem``s;
a grader's citations are ``HazardCriterion`` rows plus the hazard's ``criteria`` snapshot.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anquan.hazards import grading
from anquan.hazards.choices import (
    GradingMethod,
    HazardCategory,
    HazardGrade,
    HazardSource,
    HazardState,
    ManageType,
    PlanStatus,
    RejectKind,
    RiskColour,
    StepKind,
)
from anquan.platform.models import TimeStampedModel

USER = settings.AUTH_USER_MODEL


class Hazard(TimeStampedModel):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("场所"))
    area = models.ForeignKey("org.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    equipment = models.ForeignKey(
        "plant.Equipment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("设备"),
    )
    number = models.CharField(_("隐患编号"), max_length=32)
    description = models.TextField(_("隐患描述"))
    category = models.CharField(_("隐患类型"), max_length=20, choices=HazardCategory.choices)
    source = models.CharField(_("隐患来源"), max_length=20, choices=HazardSource.choices)
    state = models.CharField(
        _("状态"), max_length=24, choices=HazardState.choices, default=HazardState.REPORTED
    )
    reporter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("上报人"))
    reported_at = models.DateTimeField(_("上报时间"))
    # the phone's UUID of the report (canonical text form), so a report sent twice is stored once
    client_uid = models.CharField(_("客户端编号"), max_length=36, null=True, blank=True, unique=True)
    photo_hashes = models.JSONField(_("照片感知哈希"), default=list, blank=True)
    likely_duplicate = models.BooleanField(_("疑似重复"), default=False)
    # from an alarm (管控措施失效): hazards sit above monitoring, so the foreign key is allowed
    alarm_occurrence = models.ForeignKey(
        "monitoring.AlarmOccurrence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("关联报警"),
    )
    alarm_label = models.CharField(_("关联报警说明"), max_length=300, blank=True)
    # verification
    verified_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("核实人")
    )
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    reject_kind = models.CharField(_("驳回类型"), max_length=20, choices=RejectKind.choices, blank=True)
    reject_reason = models.TextField(_("驳回原因"), blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("重复于"),
    )
    # grading
    grade = models.CharField(_("隐患等级"), max_length=10, choices=HazardGrade.choices, blank=True)
    risk_colour = models.CharField(_("风险颜色"), max_length=10, choices=RiskColour.choices, blank=True)
    lec_l = models.FloatField(_("L（可能性）"), null=True, blank=True)
    lec_e = models.FloatField(_("E（暴露频率）"), null=True, blank=True)
    lec_c = models.FloatField(_("C（后果）"), null=True, blank=True)
    lec_d = models.FloatField(_("D（风险值）"), null=True, blank=True)
    # LS (风险矩阵法): the values it was graded with; a later change of the matrix leaves them
    ls_l = models.PositiveSmallIntegerField(_("L（可能性等级）"), null=True, blank=True)
    ls_s = models.PositiveSmallIntegerField(_("S（严重性等级）"), null=True, blank=True)
    ls_r = models.PositiveSmallIntegerField(_("R（风险值）"), null=True, blank=True)
    manage_type = models.CharField(_("治理类型"), max_length=10, choices=ManageType.choices, blank=True)
    report_upward = models.BooleanField(_("须向上级报告"), default=False)
    graded_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("评估人")
    )
    graded_at = models.DateTimeField(_("评估时间"), null=True, blank=True)
    # the determination-standard items cited at grading, as they read then:
    # [{"set_id": 1, "code": "安监总管三〔2017〕121号", "number": 15, "text": "…"}, …]
    criteria = models.JSONField(_("重大隐患判定依据"), default=list, blank=True)
    # rectification
    responsible = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("整改责任人")
    )
    measures = models.TextField(_("整改措施"), blank=True)
    funds = models.DecimalField(_("整改资金（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    deadline = models.DateTimeField(_("整改期限"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("安排人")
    )
    assigned_at = models.DateTimeField(_("安排时间"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("整改人")
    )
    rectified_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    rectification_note = models.TextField(_("整改说明"), blank=True)
    accepted_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("验收人")
    )
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    acceptance_note = models.TextField(_("验收意见"), blank=True)
    closed_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("销号人")
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    # deadlines: each once per assignment
    reminded_at = models.DateTimeField(_("到期提醒时间"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("逾期升级级别"), default=0)
    escalated_at = models.DateTimeField(_("最近升级时间"), null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="hazards_number_unique")]
        indexes = [
            models.Index(fields=["site", "state"], name="hazards_site_state"),
            models.Index(fields=["state", "deadline"], name="hazards_state_deadline"),
            models.Index(fields=["reporter", "-reported_at"], name="hazards_reporter"),
        ]
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")

    def __str__(self) -> str:
        return self.number

    def audit_site_id(self) -> int:
        return self.site_id

    @property
    def is_open(self) -> bool:
        return self.state not in (HazardState.REJECTED, HazardState.CLOSED)

    @property
    def grading_method(self) -> str:
        """How it was graded: LS, LEC, or "" (not graded, or graded before a method was required)."""
        if self.ls_r is not None:
            return GradingMethod.LS
        if self.lec_d is not None:
            return GradingMethod.LEC
        return ""

    @property
    def title(self) -> str:
        text = " ".join(self.description.split())
        return text if len(text) <= 40 else text[:39] + "…"


class HazardStep(models.Model):
    """One step of a hazard's timeline (append-only)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="steps", verbose_name=_("隐患"))
    kind = models.CharField(_("环节"), max_length=24, choices=StepKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    from_state = models.CharField(_("原状态"), max_length=24, choices=HazardState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=24, choices=HazardState.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("隐患处理记录")
        verbose_name_plural = _("隐患处理记录")

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.kind}"


class DuplicateCandidate(models.Model):
    """An open hazard a new report looks like (for the verifier), with the score and its reasons."""

    hazard = models.ForeignKey(
        Hazard, on_delete=models.CASCADE, related_name="candidates", verbose_name=_("新报告")
    )
    candidate = models.ForeignKey(
        Hazard, on_delete=models.CASCADE, related_name="+", verbose_name=_("疑似重复于")
    )
    score = models.FloatField(_("相似度"))
    reasons = models.JSONField(_("依据"), default=list)  # [{"kind": "text", "value": 0.72}, …]

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hazard", "candidate"], name="hazards_candidate_unique")
        ]
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")

    def __str__(self) -> str:
        return f"{self.hazard_id} ~ {self.candidate_id} ({self.score:.2f})"


class MajorHazardPlan(TimeStampedModel):
    """The six-element plan of a major hazard (重大事故隐患治理方案) and its approval."""

    hazard = models.OneToOneField(
        Hazard, on_delete=models.CASCADE, related_name="plan", verbose_name=_("隐患")
    )
    goal = models.TextField(_("治理的目标和任务"))
    methods = models.TextField(_("采取的方法和措施"))
    funds_materials = models.TextField(_("经费和物资的落实"))
    organisation = models.TextField(_("负责治理的机构和人员"))
    time_limit = models.TextField(_("治理的时限和要求"))
    safety_emergency = models.TextField(_("安全措施和应急预案"))
    status = models.CharField(
        _("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("编制人")
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    approved_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("审批人")
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("重大隐患治理方案")
        verbose_name_plural = _("重大隐患治理方案")

    def __str__(self) -> str:
        return gettext("%(number)s 治理方案") % {"number": self.hazard.number}

    def audit_site_id(self) -> int:
        return self.hazard.site_id


class RiskMatrix(TimeStampedModel):
    """A site's grading method (LEC or LS) and its LS matrix (风险矩阵). No row: LEC, and the
    default 5 × 5 matrix (``grading.default_matrix``). Changed only by ``services.set_risk_matrix``."""

    site = models.OneToOneField(
        "org.Site", on_delete=models.CASCADE, related_name="hazard_risk_matrix", verbose_name=_("场所")
    )
    method = models.CharField(
        _("评估方法"), max_length=8, choices=GradingMethod.choices, default=GradingMethod.LEC
    )
    likelihood = models.JSONField(_("可能性 L 各级说明"), default=list)  # ["极不可能", …], level 1 first
    severity = models.JSONField(_("严重性 S 各级说明"), default=list)  # ["轻微", …], level 1 first
    cells = models.JSONField(_("各格颜色"), default=list)  # cells[l - 1][s - 1]: a RiskColour

    class Meta:
        verbose_name = _("风险矩阵")
        verbose_name_plural = _("风险矩阵")

    def __str__(self) -> str:
        return gettext("%(site)s 风险矩阵") % {"site": self.site}

    def audit_site_id(self) -> int:
        return self.site_id

    @property
    def matrix(self) -> grading.Matrix:
        return grading.Matrix(
            tuple(self.likelihood), tuple(self.severity), tuple(tuple(row) for row in self.cells)
        )


class CriteriaSet(TimeStampedModel):
    """A major-hazard determination standard (重大事故隐患判定标准), e.g. 安监总管三〔2017〕121号 for
    化工和危险化学品, with its numbered items. Versioned by effective date: the set in force for a
    hazard is the one of its scope whose range covers the day it was reported; ranges of one scope
    never overlap. Written only by ``services.criteria``; read-only once a hazard cites it (a
    correction is a new version)."""

    code = models.CharField(_("文号"), max_length=80, unique=True)
    title = models.CharField(_("标准名称"), max_length=200)
    # descriptive text (org.Site has no industry field): sets of the same scope may not overlap
    scope = models.CharField(_("适用行业"), max_length=60)
    effective_from = models.DateField(_("施行日期"))
    effective_to = models.DateField(_("废止日期（含当日仍有效）"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("录入人")
    )

    class Meta:
        ordering = ["scope", "-effective_from", "pk"]
        verbose_name = _("重大事故隐患判定标准")
        verbose_name_plural = _("重大事故隐患判定标准")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class CriteriaItem(models.Model):
    """One numbered item of a determination standard (第 n 条)."""

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="items", verbose_name=_("判定标准")
    )
    number = models.PositiveSmallIntegerField(_("条款号"))
    text = models.TextField(_("条款内容"))

    class Meta:
        ordering = ["criteria_set", "number"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "number"], name="hazards_criteria_item_unique")
        ]
        verbose_name = _("判定标准条款")
        verbose_name_plural = _("判定标准条款")

    def __str__(self) -> str:
        return gettext("%(code)s 第 %(number)d 条") % {"code": self.criteria_set.code, "number": self.number}


class HazardCriterion(models.Model):
    """A hazard cites an item (set by ``services.grade``); the item cannot be deleted while cited."""

    hazard = models.ForeignKey(
        Hazard, on_delete=models.CASCADE, related_name="citations", verbose_name=_("隐患")
    )
    item = models.ForeignKey(
        CriteriaItem, on_delete=models.PROTECT, related_name="citations", verbose_name=_("判定标准条款")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hazard", "item"], name="hazards_citation_unique")]
        verbose_name = _("隐患判定依据")
        verbose_name_plural = _("隐患判定依据")

    def __str__(self) -> str:
        return f"{self.hazard_id} → {self.item_id}"
