"""Questions on the product page (issue 23, item 4): published only if the asker ticked that,
in the words staff published, never naming the asker; cached product pages show the change at
once; erasing the asker takes the published question too."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from lookout.access import reveal
from lookout.core.purposes import Purpose
from lookout.orders.testing import make_product
from lookout.privacy.access_file import build_document
from lookout.privacy.erasure import erase_subject
from lookout.support.models import Conversation, PublicQuestion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

QUESTION = "Does the camera see through a window at night? - Jane from flat 2"
PUBLISHED_Q = "Does the camera see through a window at night?"
ANSWER = "Infrared reflects off glass: mount it outside for night vision."


def _ask(client: Client, item, *, publish: bool) -> Conversation:
    data = {"topic": "product", "product": item.sku, "body": QUESTION}
    if publish:
        data["publish"] = "on"
    client.post("/help/conversations/new/", data)
    return Conversation.objects.filter(product=item).latest("opened_at")


@override_settings(LOOKOUT_PAGE_CACHE=True)
def test_published_with_consent_without_the_asker_and_cached_pages_change(
    customer, staff, django_capture_on_commit_callbacks
):
    user, client = customer()
    item = make_product()
    email = str(reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user)["email"])
    conversation = _ask(client, item, publish=True)
    _, desk = staff("after_sales")
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": ANSWER})
    page = desk.get(f"/help/staff/{conversation.pk}/").content.decode()
    assert 'id="publish"' in page and QUESTION in page  # drafted from the conversation

    visitor = Client()
    before = visitor.get(item.get_absolute_url()).content.decode()  # now in the page cache
    assert ANSWER not in before
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(
            f"/help/staff/{conversation.pk}/",
            {"action": "publish", "question": PUBLISHED_Q, "answer": ANSWER},
        )
    after = visitor.get(item.get_absolute_url()).content.decode()
    assert PUBLISHED_Q in after and ANSWER in after
    assert "Jane" not in after and email not in after  # the asker is never shown

    # the person's access file shows what was published from their question
    (section,) = [
        x for x in build_document(subject=user.subject)["sections"] if x["name"] == "conversations"
    ]
    (thread,) = section["data"]["conversations"]
    assert thread["you_agreed_to_publish"] is True
    assert thread["published_on_the_product_page"]["question"] == PUBLISHED_Q

    with django_capture_on_commit_callbacks(execute=True):
        erase_subject(subject=user.subject)
    assert not PublicQuestion.objects.exists()
    assert ANSWER not in visitor.get(item.get_absolute_url()).content.decode()


def test_not_published_without_the_askers_consent(customer, staff):
    _, client = customer()
    item = make_product()
    conversation = _ask(client, item, publish=False)
    _, desk = staff("after_sales")
    assert 'id="publish"' not in desk.get(f"/help/staff/{conversation.pk}/").content.decode()
    refused = desk.post(
        f"/help/staff/{conversation.pk}/",
        {"action": "publish", "question": PUBLISHED_Q, "answer": ANSWER},
    )
    assert refused.status_code == 409 and "did not agree" in refused.content.decode()
    assert not PublicQuestion.objects.exists()
    assert ANSWER not in Client().get(item.get_absolute_url()).content.decode()


def test_taking_it_off_the_page_and_empty_words_refused(customer, staff):
    _, client = customer()
    item = make_product()
    conversation = _ask(client, item, publish=True)
    _, desk = staff("after_sales")
    empty = desk.post(
        f"/help/staff/{conversation.pk}/", {"action": "publish", "question": "", "answer": "x"}
    )
    assert empty.status_code == 400
    desk.post(
        f"/help/staff/{conversation.pk}/",
        {"action": "publish", "question": PUBLISHED_Q, "answer": ANSWER},
    )
    assert ANSWER in Client().get(item.get_absolute_url()).content.decode()
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "unpublish"})
    assert ANSWER not in Client().get(item.get_absolute_url()).content.decode()
