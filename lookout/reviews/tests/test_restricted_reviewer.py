"""A reviewer who restricted processing (Art. 18, C6.9) is withheld from the moderation queue;
everyone else's words are read as before."""

from __future__ import annotations

import pytest

from lookout.access.roles import Role
from lookout.privacy.models import RestrictionGround, Via
from lookout.privacy.restriction import open_restriction
from lookout.reviews.models import Review
from lookout.reviews.services import WITHHELD
from lookout.reviews.tests.conftest import product_of, review_form, write_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


@pytest.mark.commitment("C6.9")
def test_the_moderation_queue_withholds_a_restricted_reviewer(buyer, staff) -> None:
    held, held_client, held_order = buyer()
    _other, other_client, other_order = buyer()
    restricted_words = "Restricted reviewer's words about the camera."
    other_words = "Sharp picture at night, and the mount held through a storm."
    form = review_form(body=restricted_words)
    assert held_client.post(write_url(product_of(held_order)), form).status_code == 302
    form = review_form(body=other_words)
    assert other_client.post(write_url(product_of(other_order)), form).status_code == 302
    assert Review.objects.count() == 2
    open_restriction(
        subject=held.subject, ground=RestrictionGround.ACCURACY, via=Via.ACCOUNT, actor=held
    )

    _agent, desk = staff(Role.AFTER_SALES)
    response = desk.get("/reviews/moderation/")
    assert response.status_code == 200
    page = response.content.decode()
    assert other_words in page
    assert restricted_words not in page and WITHHELD.split(":")[0] in page
