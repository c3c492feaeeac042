from django.urls import path

from anquan.platform.attachments import views

app_name = "attachments"
urlpatterns = [
    path("<str:owner_type>/<int:owner_id>/", views.panel, name="panel"),
    path("<str:owner_type>/<int:owner_id>/upload/", views.upload, name="upload"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/thumbnail/", views.thumbnail, name="thumbnail"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
