from django.urls import path

app_name = "checkout"
urlpatterns: list = []
