from django.urls import path

from anquan.demo.web import views

app_name = "demo"
urlpatterns = [
    path("simulator/", views.simulator, name="simulator"),
    path("simulator/injections/", views.injection_list, name="simulator-injections"),
    path("simulator/injections/<int:pk>/cancel/", views.cancel, name="simulator-cancel"),
]
