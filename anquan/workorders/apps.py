from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.platform.navigation import NavItem


class WorkOrdersConfig(AppConfig):
    name = "anquan.workorders"
    label = "workorders"
    verbose_name = _("工单")
    # Every signed-in person may have orders assigned to them: the entry is for everyone.
    navigation = [NavItem(_("工单"), "workorders:list", "bi-clipboard-check", order=38)]

    def ready(self) -> None:
        # A work order owns attachments (the evidence of its completion, photos of the work): seen
        # by whoever sees the order; added by its assignee while it is unfinished, or by a manager
        # of its place until it is verified or cancelled.
        from anquan.platform.attachments.registry import register_owner
        from anquan.workorders import selectors, services
        from anquan.workorders.choices import ACTIVE_STATES, CLOSED_STATES
        from anquan.workorders.models import WorkOrder

        def may_attach(user: object, order: WorkOrder) -> bool:
            if services.is_assignee(user, order) and order.state in ACTIVE_STATES:
                return True
            return order.state not in CLOSED_STATES and services.may_manage(user, order)

        register_owner(WorkOrder, visible=selectors.work_orders, may_attach=may_attach)
