"""The fixed list of purposes for which personal data may be read (commitment C3.1).

Every read of personal data names one of these. A purpose outside this list needs a separate,
recorded consent from the person (C3.8), handled by the consent-for-purpose records.
"""

from django.db import models


class Purpose(models.TextChoices):
    FULFILMENT = "fulfilment", "Order fulfilment"
    DELIVERY = "delivery", "Delivery"
    AFTER_SALES = "after_sales", "After-sales"
    REFUND = "refund", "Refund"
    ACCOUNT_NOTICE = "account_notice", "Account notice"
    MARKETING = "marketing", "Marketing with consent"
    SUBJECT_REQUEST = "subject_request", "Subject request"
    LEGAL = "legal", "Legal obligation"
    SELF_SERVICE = "self_service", "The person's own view of their data"
    ACCOUNT_SECURITY = "account_security", "Signing in and securing the account"
