"""The hazards pages (url names ``hazards:…``)."""

from django.urls import path

from anquan.hazards.web import criteria_views, views

app_name = "hazards"
urlpatterns = [
    path("", views.hazard_list, name="list"),
    path("new/", views.report, name="report"),
    path("from-alarm/<int:occurrence_id>/", views.from_alarm, name="from-alarm"),
    path("metrics/", views.metrics, name="metrics"),
    path("labels/", views.labels, name="labels"),
    path("export.xlsx", views.export, name="export"),
    path("risk-matrix/", views.risk_matrix, name="risk-matrix"),
    path("risk-matrix/<int:site_id>/", views.risk_matrix, name="risk-matrix-site"),
    path("criteria/", criteria_views.criteria_list, name="criteria"),
    path("criteria/new/", criteria_views.criteria_new, name="criteria-new"),
    path("criteria/<int:pk>/", criteria_views.criteria_detail, name="criteria-detail"),
    path("criteria/<int:pk>/edit/", criteria_views.criteria_edit, name="criteria-edit"),
    path("criteria/<int:pk>/delete/", criteria_views.criteria_delete, name="criteria-delete"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/work-order/", views.work_order, name="work-order"),
    path("<int:pk>/<slug:name>/", views.step, name="step"),
]
