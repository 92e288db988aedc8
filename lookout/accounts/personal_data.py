"""What each accounts field holds, why, for how long (C2.1). See lookout/core/inventory.py."""

from lookout.accounts.models import (
    AttemptCount,
    MarketingChoice,
    RecoveryCode,
    StaffInvitation,
    User,
)
from lookout.core.inventory import (
    ACCOUNT_LIFETIME,
    CONSENT_RETENTION,
    Declaration,
    NotPersonal,
    personal,
)
from lookout.core.purposes import Purpose as P

_ACCOUNT = (P.ACCOUNT_SECURITY, P.SELF_SERVICE, P.SUBJECT_REQUEST)

FIELDS: dict[type, dict[str, Declaration]] = {
    User: {
        "id": personal(
            "user.unique_id.pseudonymous",
            *_ACCOUNT,
            retention=ACCOUNT_LIFETIME,
            stored_as="random UUID (row id; names nobody by itself)",
        ),
        "subject": personal(
            "user.unique_id.pseudonymous",
            *_ACCOUNT,
            retention=ACCOUNT_LIFETIME,
            stored_as="random UUID (the id of the person's data key)",
        ),
        "email": personal(
            "user.contact.email",
            P.ACCOUNT_NOTICE,
            P.ACCOUNT_SECURITY,
            P.MARKETING,
            P.SELF_SERVICE,
            P.SUBJECT_REQUEST,
            P.LEGAL,
            retention=ACCOUNT_LIFETIME,
        ),
        "email_index": personal(
            "user.contact.email",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="keyed blind index (HMAC-SHA256)",
        ),
        "password": personal(
            "user.authorization.password",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="Argon2 hash",
        ),
        "totp_secret": personal(
            "user.authorization.credentials",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
        ),
        "totp_confirmed_at": personal(
            "user.account.settings",
            *_ACCOUNT,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "totp_last_step": personal(
            "user.account.settings",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain integer (the newest 30-second step whose code was accepted)",
        ),
        "last_login": personal(
            "user.account",
            *_ACCOUNT,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "date_joined": personal(
            "user.account",
            *_ACCOUNT,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "closed_at": personal(
            "user.account",
            *_ACCOUNT,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "role": personal(
            "user.job_title",
            *_ACCOUNT,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain role name on a pseudonymous row (staff only; blank for customers)",
        ),
        "display_name": personal(
            "user.name",
            P.ACCOUNT_SECURITY,
            P.SUBJECT_REQUEST,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain work name on a staff member's row, set by an administrator and "
            "shown to colleagues in the back office and audit log (staff only; blank for "
            "customers)",
        ),
        "is_active": NotPersonal("account switch (may sign in or not); describes no trait"),
        "is_superuser": NotPersonal("Django permission flag; unused, rights come from `role`"),
        "groups": NotPersonal("Django permission groups; unused, rights come from `role`"),
        "user_permissions": NotPersonal("Django permissions; unused, rights come from `role`"),
    },
    MarketingChoice: {
        "id": NotPersonal("random row id"),
        "user": personal(
            "user.unique_id",
            P.MARKETING,
            P.SELF_SERVICE,
            P.SUBJECT_REQUEST,
            retention=CONSENT_RETENTION,
            stored_as="foreign key",
        ),
        "opted_in": personal(
            "user.privacy_preferences",
            P.MARKETING,
            P.SELF_SERVICE,
            P.SUBJECT_REQUEST,
            P.LEGAL,
            retention=CONSENT_RETENTION,
            stored_as="plain boolean on a pseudonymous row",
        ),
        "at": personal(
            "user.privacy_preferences",
            P.MARKETING,
            P.SELF_SERVICE,
            P.SUBJECT_REQUEST,
            P.LEGAL,
            retention=CONSENT_RETENTION,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "wording": NotPersonal("the sentence shown next to the box; the same for everyone"),
        "source": NotPersonal("which form recorded the choice (sign-up or account centre)"),
    },
    # Staff only; replaced when new codes are made, deleted when the second factor is reset.
    RecoveryCode: {
        "id": NotPersonal("random row id"),
        "user": personal(
            "user.unique_id",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="foreign key",
        ),
        "digest": personal(
            "user.authorization.credentials",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="keyed HMAC digest of a random one-time code (never the code)",
        ),
        "created_at": personal(
            "user.account.settings",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "used_at": personal(
            "user.account.settings",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
    },
    # Staff only: the new staff member's first-password link.
    StaffInvitation: {
        "id": NotPersonal("random row id"),
        "user": personal(
            "user.unique_id",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="foreign key",
        ),
        "digest": personal(
            "user.authorization.credentials",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="keyed HMAC digest of the random link token (never the token)",
        ),
        "created_at": personal(
            "user.account",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "expires_at": NotPersonal("when the link stops working"),
        "used_at": personal(
            "user.account",
            P.ACCOUNT_SECURITY,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "revoked_at": NotPersonal("when a newer invitation or deactivation cancelled the link"),
    },
    # Kept for the window (LOOKOUT_LOGIN_WINDOW_SECONDS, 15 minutes by default); ended windows
    # rows are deleted by the next attempt (accounts.throttle.count).
    AttemptCount: {
        "bucket": NotPersonal(
            "a keyed HMAC digest of what is counted (an email typed, a client network, an "
            "account's pseudonymous id) and the window number; never the email or address itself; "
            "deleted by the first attempt after its window ends"
        ),
        "count": NotPersonal("how many attempts in that window"),
        "expires_at": NotPersonal("when the window ends"),
    },
}
