from django.urls import path

from anquan.notifications.web import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("read-all/", views.mark_all_read, name="read-all"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("<int:pk>/open/", views.open_notification, name="open"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/roles/", views.role_preferences, name="role-preferences"),
    path("channels/", views.channels, name="channels"),
    path("channels/new/", views.channel_create, name="channel-create"),
    path("channels/<int:pk>/", views.channel_edit, name="channel-edit"),
    path("channels/<int:pk>/delete/", views.channel_delete, name="channel-delete"),
    path("channels/<int:pk>/test/", views.channel_test, name="channel-test"),
    path("deliveries/", views.deliveries, name="deliveries"),
]
