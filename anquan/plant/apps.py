from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from anquan.org.roles import PLANT_VIEW
from anquan.platform.navigation import NavItem


class PlantConfig(AppConfig):
    name = "anquan.plant"
    label = "plant"
    verbose_name = _("装置与设备")
    navigation = [NavItem(_("设备与测点"), "plant:browser", "bi-diagram-3", capability=PLANT_VIEW, order=20)]

    def ready(self) -> None:
        # Equipment owns attachments (photos, nameplates, manuals): seen by whoever sees the equipment,
        # added and removed by whoever may attach in its area.
        from anquan.org.access import Access, place_of_area
        from anquan.org.roles import PLANT_ATTACH
        from anquan.plant import selectors
        from anquan.plant.models import Equipment
        from anquan.platform.attachments.registry import register_owner

        register_owner(
            Equipment,
            visible=lambda user: selectors.equipment(user),
            may_attach=lambda user, eq: Access.of(user).covers(PLANT_ATTACH, place_of_area(eq.area)),
        )
