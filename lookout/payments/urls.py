"""The payments app serves no store pages: the card form is the processor's (sandbox/), and
the return view belongs to checkout, which calls `services.confirm_payment`."""

app_name = "payments"
urlpatterns: list = []
