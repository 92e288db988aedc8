"""A guest erased at once (the operator's auto-approval rule) leaves with their certificate's
reference on the confirmation page, and the certificate is there at once (C6.7)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from lookout.privacy.models import Kind, SubjectRequest
from lookout.privacy.tests.conftest import GUEST_EMAIL
from lookout.sharing import signing
from lookout.sharing.redaction import certificate_reference

pytestmark = pytest.mark.django_db


@pytest.mark.commitment("C6.7")
def test_the_erasure_confirmation_gives_the_reference_of_a_certificate_that_verifies(
    guest_order, sent_code, settings
):
    settings.LOOKOUT_DELETION_AUTO_APPROVE = True
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.DELETION
    )
    response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})

    # the page confirming the erasure names the certificate's reference and address
    page = guest.get(response["Location"]).content.decode()
    reference = certificate_reference(SubjectRequest.objects.get().id)
    assert "Completed" in page and reference in page
    found = re.search(r'href="(/privacy/certificates/[a-z2-7]+/)"', page)
    assert found is not None
    # where the certificate already is, for anyone holding the reference, and it verifies
    signed = Client().get(found[1].rstrip("/") + ".json").json()
    document = signing.verify_document(
        signed, key=signing.load_public_key(Client().get(signing.KEY_PATH).content)
    )
    assert document["certificate"] == reference and document["key_destroyed_at"]
