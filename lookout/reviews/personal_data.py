"""What each review field holds, why, for how long (C2.1); see core/inventory.py."""

from datetime import timedelta

from lookout.core.inventory import NotPersonal, Retention, personal
from lookout.core.purposes import Purpose as P
from lookout.reviews.models import ProductRating, Review

# A review is kept 3 years after it was written, then deleted (its stars leave the average);
# one that was not published goes 30 days after the decision (lookout/reviews/retention.py).
REVIEW_RETENTION = Retention("review", timedelta(days=3 * 365), "the review was written")
REJECTED_RETENTION = Retention(
    "review_rejected", timedelta(days=30), "the review was not published"
)
R = REVIEW_RETENTION

# The reviewer's own view and access file, and after-sales moderating. Shown to visitors once
# published: a use outside the fixed purposes the reviewer agreed to ("review_publication",
# C3.8), which the gate allows to the store alone.
READ_FOR = (P.SELF_SERVICE, P.SUBJECT_REQUEST, P.AFTER_SALES)

FIELDS = {
    Review: {
        "id": NotPersonal("random review id", retention=R),
        "subject": NotPersonal(
            "pseudonymous id of the reviewer (their data key's id); names nobody without the vault",
            retention=R,
        ),
        "product": NotPersonal("which product is reviewed", retention=R),
        "order": NotPersonal("the delivered order that makes the reviewer a buyer", retention=R),
        "stars": NotPersonal(
            "1 to 5 stars; stays in the product's average after the reviewer's erasure",
            retention=R,
        ),
        "pseudonym": personal(
            "user.name",
            *READ_FOR,
            retention=R,
            stored_as="ciphertext (AEAD under the person's data key); once published, shown at "
            "the product's reviews address (/p/<slug>/reviews/), as the reviewer agreed",
        ),
        "body": personal(
            "user.content.public",
            *READ_FOR,
            retention=R,
            stored_as="ciphertext (AEAD under the person's data key); once published, shown at "
            "the product's reviews address (/p/<slug>/reviews/), as the reviewer agreed",
        ),
        "state": NotPersonal("waiting, published or not published", retention=R),
        "written_at": NotPersonal("when written", retention=R),
        "decided_at": NotPersonal("when moderated", retention=R),
        "decided_by_role": NotPersonal("the staff role that moderated, never who", retention=R),
        "erased_at": NotPersonal("when the reviewer's words were erased", retention=R),
    },
    ProductRating: {
        "product": NotPersonal("which product"),
        "count": NotPersonal("how many published reviews (a count, naming nobody)"),
        "total": NotPersonal("the sum of their stars (naming nobody)"),
    },
}
