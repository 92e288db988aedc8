"""Who may read which personal field, for which purpose, and how much of it (C3.1, C4.3).

One declarative table: each `Grant` names a reader, a personal field ("app.Model.field"), the
purposes for which the read is allowed, and whether the reader sees the value in full or masked.
Anything not granted is refused. Readers are staff roles, `SYSTEM` (the store itself acting for
the person: sending their account emails, handing a parcel to the carrier) and `SELF` (the person
reading their own data).

Administrators and catalog managers are granted nothing in full: they run the shop, not its
customers' data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from lookout.access.roles import Role
from lookout.core.purposes import Purpose

SYSTEM = "system"
SELF = "self"

Reader = str  # a Role value, SYSTEM or SELF


class Level(StrEnum):
    FULL = "full"
    MASKED = "masked"


@dataclass(frozen=True)
class Grant:
    reader: Reader
    field: str
    purposes: frozenset[Purpose]
    level: Level = Level.FULL


def grant(reader: Reader, field: str, *purposes: Purpose, level: Level = Level.FULL) -> Grant:
    return Grant(reader=reader, field=field, purposes=frozenset(purposes), level=level)


P = Purpose
EMAIL = "accounts.User.email"
TOTP = "accounts.User.totp_secret"

GRANTS: tuple[Grant, ...] = (
    # The person themself.
    grant(SELF, EMAIL, P.SELF_SERVICE, P.SUBJECT_REQUEST),
    grant(SELF, TOTP, P.ACCOUNT_SECURITY),
    grant(SELF, "inbox.Message.title", P.SELF_SERVICE, P.SUBJECT_REQUEST),
    grant(SELF, "inbox.Message.body", P.SELF_SERVICE, P.SUBJECT_REQUEST),
    # The store acting for the person: account emails (reset links, notices).
    grant(SYSTEM, EMAIL, P.ACCOUNT_NOTICE, P.MARKETING),
    # The store handing a dispute to a dispute-resolution vendor (sharing.disclose, C5.3).
    grant(SYSTEM, EMAIL, P.AFTER_SALES),
    # Staff.
    grant(Role.AFTER_SALES, EMAIL, P.AFTER_SALES),
    grant(Role.FINANCE, EMAIL, P.REFUND, level=Level.MASKED),
    grant(Role.PRIVACY_OFFICER, EMAIL, P.SUBJECT_REQUEST, P.LEGAL),
    grant(Role.ADMINISTRATOR, EMAIL, P.ACCOUNT_SECURITY, level=Level.MASKED),
    # Orders: the delivery details of an order (orders.Delivery) and saved addresses.
    # The buyer reads their own order and saved addresses.
    *(
        grant(SELF, f"orders.Delivery.{f}", P.SELF_SERVICE, P.SUBJECT_REQUEST)
        for f in ("name", "address", "phone", "email")
    ),
    *(
        grant(SELF, f"checkout.SavedAddress.{f}", P.SELF_SERVICE, P.SUBJECT_REQUEST)
        for f in ("name", "address", "phone")
    ),
    # The store acting for the buyer: the carrier's label and the payment page's name hint
    # (through sharing.disclose), and showing a verified guest their own order and emailing
    # them its link. Never the email to a partner: disclose's allowlist has no email category.
    grant(SYSTEM, "orders.Delivery.name", P.DELIVERY, P.FULFILMENT, P.ACCOUNT_NOTICE),
    grant(SYSTEM, "orders.Delivery.address", P.DELIVERY, P.ACCOUNT_NOTICE),
    grant(SYSTEM, "orders.Delivery.phone", P.DELIVERY, P.ACCOUNT_NOTICE),
    grant(SYSTEM, "orders.Delivery.email", P.ACCOUNT_NOTICE),
    # The warehouse picks, packs and ships: recipient name, address, phone; never the email.
    *(
        grant(Role.WAREHOUSE, f"orders.Delivery.{f}", P.FULFILMENT)
        for f in ("name", "address", "phone")
    ),
    # After-sales handles returns and questions about an order.
    *(
        grant(Role.AFTER_SALES, f"orders.Delivery.{f}", P.AFTER_SALES)
        for f in ("name", "address", "phone", "email")
    ),
    # Subject requests (C6): the store builds a person's access file in a background task
    # (SYSTEM, for the person), and emails a guest the one-time code proving their order's email.
    grant(SYSTEM, EMAIL, P.SUBJECT_REQUEST),
    *(
        grant(SYSTEM, f"orders.Delivery.{f}", P.SUBJECT_REQUEST)
        for f in ("name", "address", "phone", "email")
    ),
    *(
        grant(SYSTEM, f"checkout.SavedAddress.{f}", P.SUBJECT_REQUEST)
        for f in ("name", "address", "phone")
    ),
    *(
        grant(SYSTEM, f"inbox.Message.{f}", P.SUBJECT_REQUEST, P.ACCOUNT_NOTICE)
        for f in ("title", "body")
    ),
    # The request itself: what a correction request says, and the access file. The person and
    # the store (serving a verified guest) read both; the privacy officer reads what a
    # correction request asks for, never the access file.
    *(
        grant(reader, f"privacy.SubjectRequest.{f}", P.SUBJECT_REQUEST)
        for reader in (SELF, SYSTEM)
        for f in ("details", "access_file")
    ),
    grant(Role.PRIVACY_OFFICER, "privacy.SubjectRequest.details", P.SUBJECT_REQUEST),
    # Returns and disputes (C1.7, C5.3). The store hands a dispute to a dispute-resolution
    # vendor: the recipient's name and a guest's email (the vendor kind's allowlist decides).
    *(grant(SYSTEM, f"orders.Delivery.{f}", P.AFTER_SALES) for f in ("name", "email")),
    # The note a customer typed on their return: read by them, by the store for a verified
    # guest and for an access request, and by after-sales handling the return.
    grant(SELF, "returns.ReturnRequest.note", P.SELF_SERVICE, P.SUBJECT_REQUEST),
    grant(SYSTEM, "returns.ReturnRequest.note", P.ACCOUNT_NOTICE, P.SUBJECT_REQUEST),
    grant(Role.AFTER_SALES, "returns.ReturnRequest.note", P.AFTER_SALES),
    # The reason after-sales gave for cancelling an order (free text, sealed): read by
    # after-sales, and shown back to the buyer in their access file.
    grant(Role.AFTER_SALES, "orders.Cancellation.reason", P.AFTER_SALES),
    *(grant(who, "orders.Cancellation.reason", P.SUBJECT_REQUEST) for who in (SELF, SYSTEM)),
    # Internal notes staff write on an order at the order desk (free text, sealed): read by the
    # roles that act on orders, each for its own job, and shown back to the buyer in their
    # access file. The privacy officer, the administrator and the catalog manager see a mask.
    grant(Role.AFTER_SALES, "orders.OrderNote.body", P.AFTER_SALES),
    grant(Role.WAREHOUSE, "orders.OrderNote.body", P.FULFILMENT),
    grant(Role.FINANCE, "orders.OrderNote.body", P.REFUND),
    *(grant(who, "orders.OrderNote.body", P.SUBJECT_REQUEST) for who in (SELF, SYSTEM)),
    # Customer-service conversations (issue 23): the person and the store (for a verified guest,
    # and the access file) read them; each staff role whose queue holds one reads it for its job.
    *(
        grant(who, "support.Post.body", P.SELF_SERVICE, P.SUBJECT_REQUEST, P.ACCOUNT_NOTICE)
        for who in (SELF, SYSTEM)
    ),
    grant(Role.AFTER_SALES, "support.Post.body", P.AFTER_SALES),
    grant(Role.FINANCE, "support.Post.body", P.REFUND),
    grant(Role.PRIVACY_OFFICER, "support.Post.body", P.SUBJECT_REQUEST),
    # A visitor's proved email: the store sends the code and "an answer waits" to it.
    grant(SYSTEM, "support.Visitor.email", P.ACCOUNT_NOTICE, P.SUBJECT_REQUEST),
    # Reviews (issue 24): the reviewer reads their own words and chosen name, and the store
    # puts them in their access file; after-sales reads them to moderate (not the catalog
    # manager: C4.3). Showing a published review to visitors is the use the reviewer agreed to,
    # outside the fixed purposes (C3.8): the gate asks the reviews app, not this table.
    *(
        grant(SELF, f"reviews.Review.{f}", P.SELF_SERVICE, P.SUBJECT_REQUEST)
        for f in ("pseudonym", "body")
    ),
    *(grant(SYSTEM, f"reviews.Review.{f}", P.SUBJECT_REQUEST) for f in ("pseudonym", "body")),
    *(grant(Role.AFTER_SALES, f"reviews.Review.{f}", P.AFTER_SALES) for f in ("pseudonym", "body")),
    # A one-off consent to share outside the partner system (C5.6): the person's own record of
    # whom they let us tell, and why, shown back to them in their access file (C5.4, C6.2).
    *(
        grant(who, f"sharing.InstanceConsent.{f}", P.SUBJECT_REQUEST)
        for who in (SELF, SYSTEM)
        for f in ("recipient", "purpose_text", "wording")
    ),
)


def _index(grants: tuple[Grant, ...]) -> dict[tuple[Reader, str, Purpose], Level]:
    cells: dict[tuple[Reader, str, Purpose], Level] = {}
    for g in grants:
        for purpose in g.purposes:
            key = (str(g.reader), g.field, purpose)
            if key in cells:
                raise ValueError(f"Grant declared twice: {key}")
            cells[key] = g.level
    return cells


@functools.cache
def cells() -> dict[tuple[Reader, str, Purpose], Level]:
    """The grants by cell, indexed on first use rather than at import: a test can then start
    from an empty index and prove what indexing does (a mutant of it counts), and a process
    pays for it once."""
    return _index(GRANTS)


def level_for(reader: Reader, field: str, purpose: Purpose) -> Level | None:
    """The level granted to this cell, or None when the read is refused."""
    return cells().get((str(reader), field, Purpose(purpose)))


def readers() -> list[Reader]:
    return [str(r) for r in Role] + [SYSTEM, SELF]
