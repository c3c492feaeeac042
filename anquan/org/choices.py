from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WORKER = "worker", _("一线员工")
    TEAM_LEADER = "team_leader", _("班组长")
    OPERATOR = "operator", _("中控操作员")
    SAFETY_OFFICER = "safety_officer", _("安全员")
    AREA_MANAGER = "area_manager", _("区域经理")
    EHS_DIRECTOR = "ehs_director", _("EHS 总监")
    EXPERT_REVIEWER = "expert_reviewer", _("专家审核员")
    CONTRACTOR = "contractor", _("承包商")
    ADMINISTRATOR = "administrator", _("系统管理员")


class ScopeLevel(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SITE = "site", _("场所")
    AREA = "area", _("区域")
    TEAM = "team", _("班组")
