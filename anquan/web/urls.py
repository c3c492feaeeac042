from django.urls import include, path

from anquan.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("language/", views.language, name="language"),
    path("people/", include("anquan.org.web.urls")),
    path("plant/", include("anquan.plant.web.urls")),
    path("monitoring/", include("anquan.monitoring.web.urls")),
    path("earlywarning/", include("anquan.earlywarning.web.urls")),
    path("hazards/", include("anquan.hazards.web.urls")),
    path("workorders/", include("anquan.workorders.web.urls")),
    path("inspections/", include("anquan.inspections.web.urls")),
    path("streaming/", include("anquan.streaming.web.urls")),
    path("demo/", include("anquan.demo.web.urls")),
    path("notifications/", include("anquan.notifications.web.urls")),
    path("attachments/", include("anquan.platform.attachments.urls")),
]
