"""The workorders pages (url names ``workorders:…``)."""

from django.urls import path

from anquan.workorders.web import views

app_name = "workorders"
urlpatterns = [
    path("", views.work_order_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
