from django.urls import path

from lookout.consent import views

app_name = "consent"
urlpatterns = [
    path("", views.cookie_page, name="cookies"),
    path("choice/", views.choose, name="choose"),
]
