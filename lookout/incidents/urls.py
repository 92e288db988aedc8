from django.urls import path

from lookout.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.record, name="record"),
    path("<uuid:incident_id>/", views.detail, name="detail"),
    path("<uuid:incident_id>/compute/", views.recompute, name="recompute"),
    path("<uuid:incident_id>/notify/", views.notify_people, name="notify"),
    path("<uuid:incident_id>/authority/", views.authority_notified, name="authority"),
    path("<uuid:incident_id>/email/", views.reveal_email, name="reveal_email"),
]
