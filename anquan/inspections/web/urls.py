"""The inspections pages (url names ``inspections:…``)."""

from django.urls import path

from anquan.inspections.web import views

app_name = "inspections"
urlpatterns = [
    # 巡检任务
    path("", views.rounds, name="rounds"),
    path("rounds/<int:pk>/", views.round_page, name="round"),
    path("rounds/<int:pk>/checkin/", views.round_checkin, name="round-checkin"),
    path("rounds/<int:pk>/items/<int:item_pk>/", views.round_record, name="round-record"),
    path("rounds/<int:pk>/finish/", views.round_finish, name="round-finish"),
    # 计划与路线
    path("plans/", views.plans, name="plans"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/toggle/", views.plan_toggle, name="plan-toggle"),
    path("routes/new/", views.route_create, name="route-create"),
    path("routes/<int:pk>/", views.route_page, name="route"),
    path("routes/<int:pk>/codes/", views.codes, name="codes"),
    path("routes/<int:pk>/checkpoints/", views.checkpoint_create, name="checkpoint-create"),
    path("routes/<int:pk>/checkpoints/<int:checkpoint_pk>/items/", views.item_create, name="item-create"),
    # 设备健康
    path("health/", views.health_page, name="health"),
    path("health/equipment/<int:pk>/", views.equipment_health, name="equipment-health"),
    path("health/weights/", views.weights, name="weights"),
    path("health/weights/<int:site_pk>/", views.weights, name="weights-site"),
    # 日报
    path("reports/", views.reports_page, name="reports"),
    path("reports/<int:pk>/", views.report_page, name="report"),
    path("reports/<int:pk>/pdf/", views.report_pdf, name="report-pdf"),
    path("reports/settings/<int:site_pk>/", views.report_settings, name="report-settings"),
]
