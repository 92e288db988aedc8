from django.urls import path

from lookout.core import views

urlpatterns = [path("", views.home, name="home")]
