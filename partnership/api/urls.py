from django.urls import URLPattern

app_name = "partnership"
urlpatterns: list[URLPattern] = []
