from django.urls import path

from anquan.streaming.web import views

app_name = "streaming"
urlpatterns = [
    path("", views.connectors, name="connectors"),
    path("new/", views.connector_create, name="connector-create"),
    path("test/", views.test_connection, name="test-connection"),
    path("<int:pk>/", views.connector_edit, name="connector-edit"),
    path("<int:pk>/toggle/", views.connector_toggle, name="connector-toggle"),
    path("<int:pk>/delete/", views.connector_delete, name="connector-delete"),
    path("<int:pk>/key/", views.connector_key, name="connector-key"),
    path("opcua/certificate/", views.opcua_certificate, name="opcua-certificate"),
    path("dead-letters/", views.dead_letters, name="dead-letters"),
    path("imports/", views.imports, name="imports"),
    path("imports/preview/", views.import_preview, name="import-preview"),
    path("imports/start/", views.import_start, name="import-start"),
    path("imports/cancel/", views.import_cancel, name="import-cancel"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import-progress"),
]
