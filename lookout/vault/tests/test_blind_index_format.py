"""A blind index written by this release is found by the next one (C4.2).

The database holds an email's keyed digest, never the email: signing in, the guest's order
look-up and a subject request find the person by recomputing it. So the digest is a stored
format. If the domain name, the separator or the encoding behind it changed in an upgrade,
every stored digest would stop matching and every existing customer would be told their
account does not exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lookout.vault.blind_index import email_index
from lookout.vault.master import master_cache

# An index keyset made for this test only (it protects nothing) and the digest this release
# stored for "ann@example.com" under it: HMAC-SHA256 of b"email" + b"\x00" + the UTF-8 email.
GOLDEN_INDEX = {
    "primaryKeyId": 1999805476,
    "key": [
        {
            "keyData": {
                "typeUrl": "type.googleapis.com/google.crypto.tink.HmacPrfKey",
                "value": "EgIIAxogQ4cXOrZ9Bf/xcI1dd/5o9aT9ESjEOc8Dg7F48fmyF/k=",
                "keyMaterialType": "SYMMETRIC",
            },
            "status": "ENABLED",
            "keyId": 1999805476,
            "outputPrefixType": "RAW",
        }
    ],
}
GOLDEN_DIGEST = "50bc2aee84bf4c56535bb81eacd5715254f4e2da840e49e6296997bd3ead21fb"


@pytest.fixture
def golden_index_key(settings, tmp_path: Path):
    document = json.loads(Path(settings.LOOKOUT_MASTER_KEY_FILE).read_text())
    document["index"] = json.dumps(GOLDEN_INDEX)
    path = tmp_path / "master-keyset.json"
    path.write_text(json.dumps(document))
    settings.LOOKOUT_MASTER_KEY_FILE = path
    master_cache.clear()
    yield
    master_cache.clear()


@pytest.mark.usefixtures("golden_index_key")
@pytest.mark.parametrize("typed", ["ann@example.com", "  Ann@Example.COM ", "ANN@EXAMPLE.COM"])
def test_an_email_stored_by_this_release_is_found_again_however_it_is_typed(typed):
    assert email_index(typed) == GOLDEN_DIGEST


@pytest.mark.usefixtures("golden_index_key")
def test_another_email_gets_another_digest():
    assert email_index("ann@example.org") != GOLDEN_DIGEST
