from django.urls import path

from lookout.sharing import views

app_name = "sharing"
urlpatterns = [
    path(".well-known/lookout-deletion-key.pem", views.public_key_pem, name="key_pem"),
    path(".well-known/lookout-deletion-key.jwk", views.public_key_jwk, name="key_jwk"),
    path(
        "privacy/certificates/<str:token>.json",
        views.certificate_json,
        name="certificate_json",
    ),
    path("privacy/certificates/<str:token>/", views.certificate_page, name="certificate"),
]
