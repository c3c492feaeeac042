"""The monitoring pages, mounted at /monitoring/ (url names ``monitoring:…``)."""

from django.urls import path

from anquan.monitoring.web import console, events, kpi_views, rules, views

app_name = "monitoring"
urlpatterns = [
    # 实时监测
    path("", views.overview, name="overview"),
    path("sites/<int:site_id>/", views.site, name="site"),
    path("sites/<int:site_id>/panel/", views.site_panel, name="site-panel"),
    path("equipment/<int:pk>/", views.equipment, name="equipment"),
    path("equipment/<int:pk>/data/", views.equipment_data, name="equipment-data"),
    path("tags/<int:pk>/trend/", views.tag_trend, name="tag-trend"),
    # 报警台
    path("alarms/", console.console, name="console"),
    path("alarms/table/", console.console_table, name="console-table"),
    path("alarms/ack/", console.acknowledge, name="ack"),
    path("alarms/events/", events.events, name="events"),
    path("alarms/<int:pk>/", console.occurrence, name="occurrence"),
    path("alarms/<int:pk>/comment/", console.comment, name="comment"),
    path("alarms/<int:pk>/work-order/", console.work_order, name="work-order"),
    path("rules/<int:pk>/shelve/", console.shelve, name="shelve"),
    path("rules/<int:pk>/unshelve/", console.unshelve, name="unshelve"),
    # 报警规则
    path("rules/", rules.rule_list, name="rules"),
    path("rules/new/", rules.rule_create, name="rule-create"),
    path("rules/<int:pk>/", rules.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/delete/", rules.rule_delete, name="rule-delete"),
    path("rules/<int:pk>/out-of-service/", rules.rule_remove, name="rule-remove"),
    path("rules/<int:pk>/return-to-service/", rules.rule_return, name="rule-return"),
    path("sites/<int:site_id>/escalation/", rules.escalation, name="escalation"),
    # 报警指标 (kpi_views.py, the KPI pages)
    path("kpis/", kpi_views.site_kpis, name="kpis"),
    path("kpis/area/<int:area_id>/", kpi_views.area_kpis, name="area_kpis"),
]
