from django.contrib import admin
from django.urls import include, path

from lookout.accounts.forms import LimitedAdminAuthenticationForm
from lookout.accounts.views import admin_login_view, admin_password_change_view
from lookout.api import api
from lookout.core import health
from lookout.core import views as core_views
from lookout.reviews import views as review_views

# Every admin sign-in and admin password change checks the password through the attempt limiter
# (accounts.throttle), answering 429 when refused: the admin is no door around the limits.
admin.site.login_form = LimitedAdminAuthenticationForm

urlpatterns = [
    path("", include("lookout.sharing.urls")),  # the deletion key and certificates (issue 26)
    path("", include("lookout.catalog.urls")),
    # A product's published reviews, apart from its cached page: they are persons' words
    path("p/<slug:slug>/reviews/", review_views.published, name="product_reviews"),
    path("cart/", include("lookout.cart.urls")),
    path("accounts/", include("lookout.accounts.urls")),
    path("inbox/", include("lookout.inbox.urls")),
    path("checkout/", include("lookout.checkout.urls")),
    path("orders/", include("lookout.orders.urls")),
    path("shipping/", include("lookout.shipping.urls")),
    path("payments/", include("lookout.payments.urls")),
    path("policies/", include("lookout.policies.urls")),
    path("api/v1/", api.urls),
    path("privacy/", include("lookout.privacy.urls")),
    path("compliance/", include("lookout.compliance.urls")),
    path("returns/", include("lookout.returns.urls")),
    path("help/", include("lookout.support.urls")),
    path("reviews/", include("lookout.reviews.urls")),
    path("staff/incidents/", include("lookout.incidents.urls")),
    path("staff/", include("lookout.staff.urls")),
    path("marketing/", include("lookout.marketing.urls")),
    path("cookies/", include("lookout.consent.urls")),
    path("analytics/", include("lookout.analytics.urls")),
    path("admin/login/", admin_login_view),
    path("admin/password_change/", admin_password_change_view),
    path("admin/", admin.site.urls),
    path("healthz", health.view),
]

handler400 = core_views.bad_request
handler403 = core_views.forbidden
handler404 = core_views.not_found
handler500 = core_views.server_error
