from django.urls import path

from anquan.plant.web import views

app_name = "plant"
urlpatterns = [
    path("", views.browser, name="browser"),
    path("sites/<int:site_id>/", views.site_detail, name="site"),
    path("sites/<int:site_id>/equipment/new/", views.equipment_create, name="equipment-create"),
    path("sites/<int:site_id>/topology/", views.topology, name="topology"),
    path("sites/<int:site_id>/topology/data/", views.topology_data, name="topology-data"),
    path("sites/<int:site_id>/topology/links/", views.link_create, name="link-create"),
    path("links/<int:pk>/delete/", views.link_delete, name="link-delete"),
    path("areas/<int:area_id>/", views.area_detail, name="area"),
    path("equipment/<int:pk>/", views.equipment_detail, name="equipment"),
    path("equipment/<int:pk>/edit/", views.equipment_edit, name="equipment-edit"),
    path("equipment/<int:pk>/delete/", views.equipment_delete, name="equipment-delete"),
    path("equipment/<int:pk>/tags/new/", views.tag_create, name="tag-create"),
    path("tags/<int:pk>/edit/", views.tag_edit, name="tag-edit"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="tag-delete"),
    path("tags/units/", views.tag_units, name="tag-units"),
]
