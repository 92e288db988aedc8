"""Staff accounts and roles; the catalog manager's admin access through the role's group."""

from __future__ import annotations

import pytest

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.staff import services
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db


def _staff(role: str, name: str | None = None) -> User:
    return create_account(
        email=f"{name or role}@example.com", password="staff-long-pass-1", role=role
    )


@pytest.mark.commitment("C4.3")
def test_administrator_creates_staff_and_changes_roles_audited() -> None:
    admin = _staff(Role.ADMINISTRATOR)
    clerk = services.create_staff(email="new.clerk@example.com", role="warehouse", actor=admin)
    assert clerk.role == Role.WAREHOUSE and not clerk.has_usable_password()
    services.change_role(user=clerk, role="finance", actor=admin)
    assert User.objects.get(pk=clerk.pk).role == Role.FINANCE
    entry = AuditEntry.objects.filter(action="staff.role_changed").get()
    assert entry.actor_ref == str(admin.subject) and entry.detail == {
        "from": "warehouse",
        "to": "finance",
    }
    assert "new.clerk" not in repr(list(AuditEntry.objects.values()))


def test_role_rules_refuse_with_a_reason_and_change_nothing() -> None:
    admin = _staff(Role.ADMINISTRATOR)
    customer = create_account(email="shopper@example.com", password="a-long-passphrase-1")
    for call, message in [
        (lambda: services.change_role(user=admin, role="finance", actor=admin), "your own role"),
        (lambda: services.change_role(user=customer, role="finance", actor=admin), "customers"),
        (lambda: services.create_staff(email="x", role="finance", actor=admin), "valid email"),
        (lambda: services.create_staff(email="a@example.com", role="boss", actor=admin), "roles"),
        (
            lambda: services.create_staff(email="shopper@example.com", role="finance", actor=admin),
            "already exists",
        ),
    ]:
        with pytest.raises(services.LookoutError, match=message):
            call()
    other = _staff(Role.ADMINISTRATOR, "other.admin")
    services.change_role(user=other, role="finance", actor=admin)
    assert User.objects.get(pk=customer.pk).role == ""
    assert User.objects.filter(role=Role.ADMINISTRATOR).count() == 1


def test_catalog_manager_edits_products_in_the_admin_and_no_one_else(settings) -> None:
    settings.AUTHENTICATION_BACKENDS = ["lookout.staff.backends.RoleBackend"]
    from lookout.catalog.tests.factories import product

    item = product()
    for role, status in [(Role.CATALOG_MANAGER, 200), (Role.FINANCE, 403)]:
        client = client_past_second_factor(
            _staff(role), backend=settings.AUTHENTICATION_BACKENDS[0]
        )
        response = client.get(f"/admin/catalog/product/{item.pk}/change/")
        assert response.status_code == status, role
        if status == 200:
            page = response.content.decode()
            assert item.name in page and "search_text" not in page
