"""The early-warning pages, mounted at /earlywarning/ (url names ``earlywarning:…``)."""

from django.urls import path

from anquan.earlywarning.web import views

app_name = "earlywarning"
urlpatterns = [
    # AI 预警
    path("", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    # 预警模型
    path("models/", views.models, name="models"),
    path("models/new/", views.model_create, name="model-create"),
    path("models/new/tags/", views.model_tags, name="model-tags"),
    path("models/<int:pk>/", views.model, name="model"),
    path("models/<int:pk>/versions/", views.model_versions, name="model-versions"),
    path("models/<int:pk>/drift/", views.model_drift, name="model-drift"),
    path("models/<int:pk>/train/", views.train, name="train"),
    path("versions/<int:pk>/approve/", views.approve, name="approve"),
    path("versions/<int:pk>/activate/", views.activate, name="activate"),
]
