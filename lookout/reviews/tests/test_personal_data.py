"""A review's words are personal data like everywhere else (issue 24, item 5): sealed at rest, in
the reviewer's access file, gone with the reviewer's key on erasure while the stars stay in the
product's average, deleted after their retention period (C2.1, C4.2, C4.6, C6.2, C6.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lookout.access.roles import Role
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.core.inventory import declaration
from lookout.privacy.access_file import build_document
from lookout.privacy.erasure import erase_subject
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.reviews import services
from lookout.reviews.models import ProductRating, Review, State
from lookout.reviews.personal_data import REJECTED_RETENTION, REVIEW_RETENTION
from lookout.reviews.tests.conftest import product_of, review_form, reviews_url, write_url
from lookout.testing.raw import raw_database_bytes
from lookout.vault.crypto import KeyDestroyed, KeyRing, open_sealed
from lookout.vault.fields import EncryptedField

WORDS = "The doorbell chimed for Mrs Quill at flat 4B every time a fox passed."
NAME = "Quillfeather of Lane 9"


def _section(subject) -> list:
    document = build_document(subject=subject)
    (section,) = [s for s in document["sections"] if s["name"] == "reviews"]
    return section["data"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("partners", "policies", "audit_triggers_suspended")
@pytest.mark.commitment("C4.2", "C6.2", "C6.4")
def test_sealed_in_the_access_file_and_unreadable_after_erasure_stars_stay(buyer, staff) -> None:
    user, client, order = buyer()
    product = product_of(order)
    client.post(write_url(product), review_form(body=WORDS, pseudonym=NAME, stars="2"))
    review = Review.objects.get(subject=user.subject)
    agent, _ = staff(Role.AFTER_SALES)
    services.publish(review_id=review.pk, actor=agent)
    assert WORDS in Client().get(reviews_url(product)).content.decode()

    # sealed: neither the words nor the name is in the stored bytes of either database
    raw = raw_database_bytes()
    assert WORDS.encode() not in raw and NAME.encode() not in raw
    assert b"Mrs Quill" not in raw and b"Quillfeather" not in raw

    # the access file gives them back to the reviewer
    (entry,) = _section(user.subject)
    assert (entry["text"], entry["name_shown"], entry["stars"]) == (WORDS, NAME, 2)
    assert entry["state"] == "Published" and entry["order"] == order.number
    assert "Publish my stars" in entry["you_agreed_to"]

    # the ciphertext as stored, to try to open after the erasure
    review.refresh_from_db()
    sealed = {name: getattr(review, name).blob for name in ("body", "pseudonym")}
    contexts = {
        name: Review._meta.get_field(name).context(review)  # type: ignore[union-attr]
        for name in sealed
    }
    assert all(isinstance(Review._meta.get_field(n), EncryptedField) for n in sealed)

    counts = erase_subject(subject=user.subject)
    assert counts["reviews.words"] == 1 and counts["data_key"] == 1

    # the words are gone from the page, from the row and from the raw bytes, and the sealed
    # copy (as any backup holds it) opens for nobody: its key is destroyed
    html = Client().get(product.get_absolute_url()).content.decode()
    shown = Client().get(reviews_url(product)).content.decode()
    assert WORDS not in html + shown and NAME not in html + shown
    review.refresh_from_db()
    assert review.body is None and review.pseudonym is None and review.erased_at is not None
    raw = raw_database_bytes()
    assert WORDS.encode() not in raw and NAME.encode() not in raw
    for name, blob in sealed.items():
        with pytest.raises(KeyDestroyed):
            open_sealed(subject=user.subject, blob=blob, context=contexts[name], keys=KeyRing())

    # the stars stay in the product's average, naming nobody
    rating = ProductRating.objects.get(product=product)
    assert (rating.count, rating.total) == (1, 2)
    assert "<strong>2.0</strong> out of 5" in html and "(1 review from verified buyers)" in html
    assert review.state == State.PUBLISHED and review.stars == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C6.4")
def test_an_erased_reviewers_unpublished_review_goes_whole(buyer) -> None:
    user, client, order = buyer()
    client.post(write_url(product_of(order)), review_form())
    erase_subject(subject=user.subject)
    assert not Review.objects.filter(subject=user.subject).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C2.1", "C4.6")
def test_deleted_after_their_retention_and_the_average_counted_again(buyer, staff) -> None:
    assert declaration(Review, "body").retention == REVIEW_RETENTION
    assert declaration(Review, "pseudonym").is_personal
    assert REVIEW_RETENTION.period == timedelta(days=3 * 365)
    user, client, order = buyer()
    product = product_of(order)
    client.post(write_url(product), review_form(stars="5"))
    kept = Review.objects.get(subject=user.subject)
    agent, _ = staff(Role.AFTER_SALES)
    services.publish(review_id=kept.pk, actor=agent)
    other, other_client, other_order = buyer()
    other_client.post(write_url(product_of(other_order)), review_form())
    rejected = Review.objects.get(subject=other.subject)
    services.reject(review_id=rejected.pk, actor=agent)

    rule = rule_named("reviews.rejected")
    assert run_rule(rule=rule, now=timezone.now() + timedelta(days=29)).processed == 0
    later = timezone.now() + REJECTED_RETENTION.period + timedelta(days=1)
    assert run_rule(rule=rule, now=later).processed == 1
    assert not Review.objects.filter(pk=rejected.pk).exists()
    assert Review.objects.filter(pk=kept.pk).exists()

    rule = rule_named("reviews.old")
    soon = timezone.now() + REVIEW_RETENTION.period - timedelta(days=1)
    assert run_rule(rule=rule, now=soon).processed == 0
    later = timezone.now() + REVIEW_RETENTION.period + timedelta(days=1)
    assert run_rule(rule=rule, now=later).processed == 1
    assert not Review.objects.filter(pk=kept.pk).exists()
    assert ProductRating.objects.get(product=product).count == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C6.4")
def test_with_the_page_cache_on_an_erased_reviewers_words_leave_the_page_at_once(
    buyer, staff, settings, django_capture_on_commit_callbacks
) -> None:
    from lookout.catalog import cache as page_cache

    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 60  # this process sees its own bump at once
    page_cache.local.clear()
    services.forget_opened()
    try:
        user, client, order = buyer()
        product = product_of(order)
        client.post(write_url(product), review_form(body=WORDS, pseudonym=NAME, stars="3"))
        agent, _ = staff(Role.AFTER_SALES)
        with django_capture_on_commit_callbacks(execute=True):
            services.publish(review_id=Review.objects.get(subject=user.subject).pk, actor=agent)
        assert WORDS in Client().get(reviews_url(product)).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            erase_subject(subject=user.subject)
        html = Client().get(product.get_absolute_url()).content.decode()
        shown = Client().get(reviews_url(product)).content.decode()
        assert WORDS not in html + shown and NAME not in html + shown
        assert "<strong>3.0</strong> out of 5" in html
    finally:
        page_cache.local.clear()
        services.forget_opened()
