"""The words of the cookie banner, kept in code so that each consent receipt can name the exact
text the visitor saw: the version is a hash of these words (C7.3). Change a word here and the
version changes by itself; old receipts keep pointing at the text they were given.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

TEXT = {
    "title": "Cookies on Lookout",
    "body": (
        "We use the cookies that the site needs to work. With your permission we would also "
        "count visits with an anonymous analytics cookie, and let registered marketing partners "
        "load their code. Shopping, prices and checkout are the same whatever you choose."
    ),
    "accept": "Accept all",
    "reject": "Reject all",
    "customise": "Choose by category",
    "save": "Save my choices",
    "analytics": (
        "Analytics: a random visitor number so our own anonymous statistics can link your "
        "visits. Never linked to your account or to other sites."
    ),
    "marketing": (
        "Marketing: code from marketing partners we list on the cookie page, loaded only if "
        "you say yes."
    ),
    "gpc": (
        "Your browser sent a Global Privacy Control signal. We treat it as Reject all: no "
        "analytics cookie and no marketing code."
    ),
    "gpc_ok": "OK, keep everything off",
}


def _version() -> str:
    """A short hash of the banner text (stable across processes and Python versions)."""
    blob = json.dumps(TEXT, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


# Computed once per process (the words are constants). Wrapped here rather than decorated so
# that `make mutation` can mutate the computation (mutmut leaves decorated functions alone).
version = cache(_version)
