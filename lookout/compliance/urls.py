from django.urls import path

from lookout.compliance import views

app_name = "compliance"
urlpatterns = [
    path("self-audit/", views.self_audit, name="self_audit"),
]
