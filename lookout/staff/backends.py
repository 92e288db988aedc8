"""Django permissions follow the staff role: a role's permissions are those of the group named
after it (created by this app's data migration), so changing a role changes what the admin
allows at once, with no group membership to keep in step by hand."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Q

from lookout.accounts.backends import EmailBackend


class RoleBackend(EmailBackend):
    """Sign-in as `EmailBackend`; group permissions include the role's group."""

    def _get_group_permissions(self, user_obj: Any) -> Any:
        role = getattr(user_obj, "role", "") or ""
        query = Q(group__user=user_obj)
        if role:
            query |= Q(group__name=role)
        return Permission.objects.filter(query).distinct()
