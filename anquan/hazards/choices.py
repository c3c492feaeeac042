"""The vocabularies of hazards (隐患排查治理), with Chinese labels (PRODUCT.md, "Hazards")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HazardState(models.TextChoices):
    """排查/登记 → 核实 → 评估分级 → 整改 → 验收 → 销号 (or rejected at verification)."""

    REPORTED = "reported", _("待核实")
    REJECTED = "rejected", _("已驳回")
    VERIFIED = "verified", _("待评估")
    GRADED = "graded", _("待安排整改")
    RECTIFYING = "rectifying", _("整改中")
    AWAITING_ACCEPTANCE = "awaiting_acceptance", _("待验收")
    ACCEPTED = "accepted", _("已验收")
    CLOSED = "closed", _("已销号")


# Not open any more: nothing left to do on these.
FINAL_STATES = (HazardState.REJECTED, HazardState.CLOSED)


class HazardSource(models.TextChoices):
    """Where the hazard was found (the kinds of checks in PRODUCT.md), in the order and with the
    labels of the national interface's 隐患来源 ``dangerSrc`` (1 … 10, ``grading.NATIONAL_SOURCE``)."""

    DAILY = "daily", _("日常排查")
    COMPREHENSIVE = "comprehensive", _("综合性排查")
    SPECIALIST = "specialist", _("专业性排查")
    SEASONAL = "seasonal", _("季节性排查")
    PRE_HOLIDAY = "pre_holiday", _("重点时段及节假日前排查")
    ACCIDENT_ANALOGY = "accident_analogy", _("事故类比排查")
    PRE_RESTART = "pre_restart", _("复产复工前排查")
    EXTERNAL_EXPERT = "external_expert", _("外聘专家诊断式排查")
    CONTROL_FAILED = "control_failed", _("管控措施失效")
    OTHER = "other", _("其他")


class HazardCategory(models.TextChoices):
    """The hazard's type: the national interface's 隐患类型 ``hazardDangerType`` (1 … 8, in this
    order, ``grading.NATIONAL_HAZARD_TYPE``). The reporter suggests it; the verifier may see it
    differently."""

    SAFETY = "safety", _("安全")
    PROCESS = "process", _("工艺")
    ELECTRICAL = "electrical", _("电气")
    INSTRUMENT = "instrument", _("仪表")
    FIRE = "fire", _("消防")
    LAYOUT = "layout", _("总图")
    EQUIPMENT = "equipment", _("设备")
    OTHER = "other", _("其他")


class HazardGrade(models.TextChoices):
    GENERAL = "general", _("一般隐患")
    MAJOR = "major", _("重大隐患")


class GradingMethod(models.TextChoices):
    """How a site grades the risk of a hazard (PRODUCT.md: LEC or a configurable LS matrix)."""

    LEC = "lec", _("LEC 法（D = L×E×C）")
    LS = "ls", _("风险矩阵法（R = L×S）")


class RiskColour(models.TextChoices):
    RED = "red", _("红（重大风险）")
    ORANGE = "orange", _("橙（较大风险）")
    YELLOW = "yellow", _("黄（一般风险）")
    BLUE = "blue", _("蓝（低风险）")


class ManageType(models.TextChoices):
    IMMEDIATE = "immediate", _("即查即改")
    DEADLINE = "deadline", _("限期整改")


class RejectKind(models.TextChoices):
    INVALID = "invalid", _("无效报告")
    DUPLICATE = "duplicate", _("重复报告")


class StepKind(models.TextChoices):
    """One entry of a hazard's timeline."""

    REPORTED = "reported", _("上报")
    VERIFIED = "verified", _("核实")
    REJECTED = "rejected", _("驳回")
    GRADED = "graded", _("评估分级")
    PLAN_SUBMITTED = "plan_submitted", _("提交重大隐患治理方案")
    PLAN_APPROVED = "plan_approved", _("审批重大隐患治理方案")
    ASSIGNED = "assigned", _("安排整改")
    RECTIFIED = "rectified", _("整改完成")
    ACCEPTANCE_FAILED = "acceptance_failed", _("验收不通过")
    ACCEPTED = "accepted", _("验收通过")
    CLOSED = "closed", _("销号")
    REMINDED = "reminded", _("到期提醒")
    ESCALATED = "escalated", _("逾期升级")


class PlanStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已审批")
