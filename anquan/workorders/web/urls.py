"""The workorders pages (url names ``workorders:…``)."""

from django.urls import path

from anquan.workorders.web import roster_views, views

app_name = "workorders"
urlpatterns = [
    path("", views.work_order_list, name="list"),
    path("new/", views.create, name="create"),
    path("roster/", roster_views.roster_page, name="roster"),
    path("roster/<int:pk>/cancel/", roster_views.cancel_shift, name="roster_cancel"),
    path("roster/pattern/", roster_views.roster_pattern, name="roster_pattern"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
