"""What each analytics field holds, why, for how long (C2.1, C2.4). See lookout/core/inventory.py.

Raw events are kept for RAW_EVENT_RETENTION and then purged (`purge_expired`); daily rollups
hold counts only.
"""

from datetime import timedelta

from lookout.analytics.models import DailyRollup, DailySalt, Event
from lookout.core.inventory import NotPersonal, Retention

RAW_EVENT_RETENTION = Retention("analytics event", timedelta(days=90), "the page was viewed")
SALT_RETENTION = Retention("analytics salt", timedelta(days=1), "the end of its day")
_E = RAW_EVENT_RETENTION

FIELDS = {
    Event: {
        "id": NotPersonal("row number", retention=_E),
        "kind": NotPersonal("view, dwell, add to cart or search", retention=_E),
        "path": NotPersonal("a public page of the shop (cart tokens are cut off)", retention=_E),
        "referrer_path": NotPersonal("the previous public page within the shop", retention=_E),
        "sku": NotPersonal("a product's public stock-keeping unit", retention=_E),
        "search_terms": NotPersonal(
            "search words with digits, @ and long words removed, at most 60 characters",
            retention=_E,
        ),
        "results": NotPersonal("how many products a search found", retention=_E),
        "dwell_seconds": NotPersonal("seconds on a product page, capped", retention=_E),
        "device_class": NotPersonal("desktop, mobile or tablet", retention=_E),
        "browser_family": NotPersonal(
            "browser name; the user-agent string is dropped", retention=_E
        ),
        "browser_major": NotPersonal("browser major version", retention=_E),
        "network": NotPersonal(
            "IP network truncated to /24 (IPv4) or /48 (IPv6; /40 for 6to4, which embeds an IPv4)",
            retention=_E,
        ),
        "visitor": NotPersonal(
            "keyed hash of a random cookie (after consent) or of the request under a salt "
            "deleted after a day; never an account, order or cross-site id",
            retention=_E,
        ),
        "linked": NotPersonal("whether the visitor consented to linking visits", retention=_E),
        "occurred_at": NotPersonal("time of the event", retention=_E),
    },
    DailySalt: {
        "day": NotPersonal("which day the salt serves", retention=SALT_RETENTION),
        "salt": NotPersonal("random bytes; deleted after its day", retention=SALT_RETENTION),
    },
    DailyRollup: {
        "id": NotPersonal("row number"),
        "day": NotPersonal("the day counted"),
        "kind": NotPersonal("kind of event counted"),
        "path": NotPersonal("a public page of the shop"),
        "sku": NotPersonal("a product's public stock-keeping unit"),
        "device_class": NotPersonal("desktop, mobile or tablet"),
        "events": NotPersonal("a count"),
        "visitors": NotPersonal("a count of distinct visitors"),
    },
}
