from django.urls import path

from lookout.policies import views

app_name = "policies"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("manage/", views.manage_view, name="manage"),
    path("<slug:document>/", views.current_view, name="current"),
    path("<slug:document>/versions/", views.archive_view, name="archive"),
    path("<slug:document>/v<int:number>/", views.version_view, name="version"),
    path("<slug:document>/v<int:number>/changes/", views.changes_view, name="changes"),
]
