"""Saved addresses: the customer's own, read back only by them (self-service)."""

from lookout.checkout.models import SavedAddress
from lookout.core.inventory import ACCOUNT_LIFETIME, NotPersonal, personal
from lookout.core.purposes import Purpose as P

R = ACCOUNT_LIFETIME

FIELDS = {
    SavedAddress: {
        "id": NotPersonal("random row id", retention=R),
        "subject": NotPersonal("pseudonymous owner id", retention=R),
        "user": NotPersonal("link to the owner's account row", retention=R),
        "name": personal("user.name", P.SELF_SERVICE, P.SUBJECT_REQUEST, retention=R),
        "address": personal("user.contact.address", P.SELF_SERVICE, P.SUBJECT_REQUEST, retention=R),
        "phone": personal(
            "user.contact.phone_number", P.SELF_SERVICE, P.SUBJECT_REQUEST, retention=R
        ),
        "country": NotPersonal("a country, shared by millions", retention=R),
        "created_at": NotPersonal("when saved", retention=R),
    },
}
