"""Sign-in by email: the email is found through its blind index, never stored in plaintext."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """ModelBackend resolves `username` through `UserManager.get_by_natural_key` (blind index)."""

    def user_can_authenticate(self, user) -> bool:  # type: ignore[no-untyped-def]
        return super().user_can_authenticate(user) and getattr(user, "closed_at", None) is None
