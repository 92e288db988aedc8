"""Staff roles (C4.3). A customer has no role."""

from django.db import models


class Role(models.TextChoices):
    WAREHOUSE = "warehouse", "Warehouse"
    AFTER_SALES = "after_sales", "After-sales"
    FINANCE = "finance", "Finance"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    CATALOG_MANAGER = "catalog_manager", "Catalog manager"
    ADMINISTRATOR = "administrator", "Administrator"


STAFF_ROLES = frozenset(Role)


# The session flag a staff member's second factor sets (accounts) and staff pages check. Kept
# here, beside the roles it guards, so that apps below accounts can check it.
OTP_SESSION_KEY = "lookout_otp_verified"
