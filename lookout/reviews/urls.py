from django.urls import path

from lookout.reviews import staff_views, views

app_name = "reviews"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("moderation/", staff_views.moderation, name="moderation"),
    path("<slug:slug>/write/", views.write, name="write"),
]
