app_name = "plant"
urlpatterns: list = []
