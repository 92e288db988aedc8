"""The gateway and processor as settings configure them (what other apps' tests get)."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler

from lookout.payments import sandbox_client
from lookout.payments.gateway import SandboxGateway, configured_gateway, get_gateway
from lookout.payments.models import Payment
from lookout.payments.services import confirm_payment
from lookout.payments.tests.helpers import SUCCESS, begin, pay_on_page, signed_ref
from lookout.payments.transport import HttpTransport, WsgiTransport
from sandbox_processor import config as processor_config
from sandbox_processor.config import default_processor
from sandbox_processor.mount import SandboxDispatcher


@pytest.fixture
def sandbox_settings(settings, tmp_path):
    settings.LOOKOUT_PAYMENT_SANDBOX_DB = tmp_path / "configured-sandbox.sqlite3"
    return settings


@pytest.mark.django_db
def test_tests_get_an_in_process_sandbox_without_any_setup(sandbox_settings):
    # given: nothing but settings (as in the checkout app's tests)
    from lookout.wsgi import with_sandbox  # importing it builds the served application

    shop = with_sandbox(WSGIHandler())
    assert isinstance(shop, SandboxDispatcher)

    # when: a payment goes through the mounted page and is confirmed
    start = begin("15.00")
    _, headers, _ = pay_on_page(shop, start, card=SUCCESS)
    payment = confirm_payment(
        payment_id=start.payment.pk, signed_reference=signed_ref(headers["Location"])
    )

    # then
    assert payment.status == Payment.Status.AUTHORIZED
    gateway = get_gateway()
    assert isinstance(gateway, SandboxGateway)
    assert isinstance(gateway.transport, WsgiTransport)
    assert default_processor().store.path == sandbox_settings.LOOKOUT_PAYMENT_SANDBOX_DB


def test_outside_tests_the_gateway_speaks_http_to_the_configured_url(settings):
    settings.LOOKOUT_PAYMENT_PROCESSOR_IN_PROCESS = False
    settings.LOOKOUT_PAYMENT_PROCESSOR_URL = "http://127.0.0.1:9/sandbox-processor"

    gateway = configured_gateway()

    assert isinstance(gateway, SandboxGateway)
    assert isinstance(gateway.transport, HttpTransport)
    assert gateway.transport.base_url == "http://127.0.0.1:9/sandbox-processor"


def test_the_shared_secret_is_derived_from_the_secret_key_unless_set(settings):
    derived = sandbox_client.shared_secret()
    assert derived and derived != settings.SECRET_KEY
    settings.SECRET_KEY = "another-" + "k" * 50
    assert sandbox_client.shared_secret() != derived
    settings.LOOKOUT_PAYMENT_SANDBOX_SECRET = "explicit-secret"
    assert sandbox_client.shared_secret() == "explicit-secret"


def test_the_store_and_the_processor_hold_the_same_secret(settings):
    """Each side derives it from the settings by its own copy of the rule (the processor is a
    package of its own): a change on one side alone would fail every payment."""
    assert sandbox_client.shared_secret() == processor_config.shared_secret()
    settings.SECRET_KEY = "another-" + "k" * 50
    assert sandbox_client.shared_secret() == processor_config.shared_secret()
    settings.LOOKOUT_PAYMENT_SANDBOX_SECRET = "explicit-secret"
    assert sandbox_client.shared_secret() == processor_config.shared_secret()


def test_production_does_not_mount_the_sandbox_by_default(settings):
    from lookout.wsgi import with_sandbox

    settings.PRODUCTION = True
    store = WSGIHandler()
    assert with_sandbox(store) is store
    settings.LOOKOUT_PAYMENT_SANDBOX_ENABLED = True  # a staging copy, explicitly
    assert isinstance(with_sandbox(store), SandboxDispatcher)
