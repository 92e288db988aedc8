from django.urls import path

from lookout.marketing import views

app_name = "marketing"
urlpatterns = [
    path("", views.promotions_view, name="promotions"),
    path("<uuid:promotion_id>/send/", views.send_view, name="send"),
    path("opt-out/<str:token>/", views.opt_out_view, name="opt_out"),
]
