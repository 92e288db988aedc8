from django.urls import path

from lookout.staff import actions, admin_views, audit_log, desk, views

app_name = "staff"
urlpatterns = [
    path("", views.index, name="index"),
    path("warehouse/", views.warehouse, name="warehouse"),
    path("after-sales/", views.after_sales, name="after_sales"),
    path("finance/", views.finance, name="finance"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/audit/", audit_log.audit_log, name="audit_log"),
    path("catalog/", views.catalog, name="catalog"),
    path("administrator/", admin_views.administrator, name="administrator"),
    path("administrator/staff/", admin_views.create_staff, name="create_staff"),
    path("administrator/staff/<uuid:user_id>/role/", admin_views.change_role, name="change_role"),
    # The person acted on is the form's `user` field.
    path(
        "administrator/staff/invitation/",
        admin_views.resend_invitation,
        name="resend_invitation",
    ),
    path(
        "administrator/staff/second-factor/reset/",
        admin_views.reset_second_factor,
        name="reset_second_factor",
    ),
    path("administrator/staff/deactivate/", admin_views.deactivate_staff, name="deactivate_staff"),
    path(
        "administrator/staff/display-name/",
        admin_views.set_display_name,
        name="set_display_name",
    ),
    path("returns/<uuid:return_id>/receive/", actions.receive, name="receive"),
    path("returns/<uuid:return_id>/label/", actions.issue_label, name="issue_label"),
    path("returns/<uuid:return_id>/accept/", actions.accept, name="accept"),
    path("returns/<uuid:return_id>/reject/", actions.reject, name="reject"),
    path("disputes/", actions.open_dispute, name="open_dispute"),
    path("orders/cancel/", actions.cancel_order, name="cancel_order"),
    path("refunds/<uuid:refund_id>/settle/", actions.settle, name="settle"),
    # The order desk (issue 20): search, an order's whole history, its actions, late orders.
    path("desk/", desk.home, name="desk"),
    path("desk/search/email/", desk.email_search, name="desk_email_search"),
    path("desk/orders/<str:number>/", desk.order_page, name="desk_order"),
    path("desk/orders/<str:number>/cancel/", desk.cancel, name="desk_cancel"),
    path("desk/orders/<str:number>/tracking/", desk.resend_tracking, name="desk_resend_tracking"),
    path("desk/orders/<str:number>/notes/", desk.add_note, name="desk_add_note"),
]
