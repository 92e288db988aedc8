from django.urls import path

app_name = "shipping"
urlpatterns: list = []
