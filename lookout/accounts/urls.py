from django.urls import path

from lookout.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup_view, name="signup"),
    path("otp/", views.otp_view, name="otp"),
    path("", views.centre_view, name="centre"),
]
