from django.urls import path

from lookout.returns import views

app_name = "returns"
urlpatterns = [
    path("order/<str:number>/", views.start, name="start"),
    path("guest/<str:token>/", views.guest, name="guest"),
    path("<str:number>/", views.detail, name="detail"),
]
