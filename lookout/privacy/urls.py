from django.urls import path

from lookout.privacy import conversation_requests, officer_views, order_address, views

app_name = "privacy"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("requests/", views.create_request, name="create"),
    path("requests/<uuid:request_id>/", views.request_detail, name="request"),
    path("download/<str:token>/", views.download, name="download"),
    path("email/", views.change_email, name="email"),
    path("addresses/<uuid:address_id>/", views.edit_address, name="address"),
    path("orders/<str:number>/address/", order_address.change_address, name="order_address"),
    path("guest/", views.guest_start, name="guest"),
    path("guest/code/", views.guest_code, name="guest_code"),
    path("visitor/<str:token>/start/", conversation_requests.visitor_start, name="visitor_start"),
    path(
        "visitor/<str:token>/confirm/",
        conversation_requests.visitor_confirm,
        name="visitor_confirm",
    ),
    path(
        "visitor/requests/<str:token>/",
        conversation_requests.visitor_request,
        name="visitor_request",
    ),
    path("queue/", officer_views.queue, name="queue"),
    path("queue/<uuid:request_id>/", officer_views.queue_request, name="queue_request"),
    path("queue/<uuid:request_id>/approve/", officer_views.approve, name="approve"),
    path("queue/<uuid:request_id>/decide/", officer_views.decide, name="decide"),
    path("queue/<uuid:request_id>/correct/", officer_views.correct, name="correct"),
    path("queue/<uuid:request_id>/extend/", officer_views.extend, name="extend"),
    path(
        "queue/restrictions/<uuid:restriction_id>/lift/",
        officer_views.lift_restriction,
        name="lift_restriction",
    ),
    path("restriction/", views.restrict, name="restrict"),
    path(
        "queue/redactions/<uuid:redaction_id>/confirm/",
        officer_views.confirm_redaction,
        name="confirm_redaction",
    ),
]
