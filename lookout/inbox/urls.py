from django.urls import path

from lookout.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("<uuid:message_id>/", views.message_view, name="message"),
]
