from django.urls import include, path

urlpatterns = [
    path("people/", include("anquan.org.web.urls")),
    path("plant/", include("anquan.plant.web.urls")),
    path("notifications/", include("anquan.notifications.web.urls")),
    path("attachments/", include("anquan.platform.attachments.urls")),
]
