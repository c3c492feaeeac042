from django.urls import path

from anquan.org.web import views

app_name = "org"
urlpatterns = [
    path("", views.people_list, name="people"),
    path("new/", views.person_create, name="person_create"),
    path("<int:pk>/", views.person_detail, name="person"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/active/", views.person_set_active, name="person_set_active"),
    path("<int:pk>/password/", views.person_password, name="person_password"),
    path("<int:pk>/roles/", views.role_assign, name="role_assign"),
    path("<int:pk>/roles/<int:assignment_pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("structure/", views.structure, name="structure"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
