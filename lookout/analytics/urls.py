from django.urls import path

from lookout.analytics import views

app_name = "analytics"
urlpatterns = [
    path("beacon", views.beacon, name="beacon"),
    path("reports/", views.report_page, name="reports"),
    path("reports/<slug:name>.csv", views.report_csv, name="report_csv"),
]
