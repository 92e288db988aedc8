"""The one-click opt-out link in every promotion (C3.7): a signed token, no sign-in needed.

The token carries the recipient's pseudonymous subject id, signed with the site's secret
(django.core.signing) under a salt of its own, so it cannot be forged or reused for anything
else. It does not expire: an old promotion's link must still work.
"""

from __future__ import annotations

import uuid

from django.core import signing
from django.urls import reverse

SALT = "lookout.marketing.opt-out"


class BadToken(Exception):
    """The link was altered or is not an opt-out link."""


def opt_out_token(*, subject: uuid.UUID) -> str:
    return signing.dumps(str(subject), salt=SALT, compress=False)


def subject_for_token(token: str) -> uuid.UUID:
    try:
        return uuid.UUID(signing.loads(token, salt=SALT))
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadToken("This opt-out link is not valid.") from exc


def opt_out_path(*, subject: uuid.UUID) -> str:
    return reverse("marketing:opt_out", args=[opt_out_token(subject=subject)])
