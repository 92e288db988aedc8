"""The second factor's replay guard in the database, and one-time recovery codes (issue 19,
finding 11)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
import pytest
from django.core.cache import cache
from django.test import Client

from lookout.accounts import otp
from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.models import RecoveryCode, User
from lookout.accounts.services import create_account
from lookout.accounts.tests.conftest import PASSWORD, sign_in
from lookout.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.mark.commitment("C4.7")
def test_a_used_code_is_refused_even_after_the_cache_is_flushed(
    make_staff: Callable[..., tuple[User, str]],
):
    # given: a staff member signed in with the current code
    user, secret = make_staff()
    code = pyotp.TOTP(secret).now()
    first = Client()
    sign_in(first, "wh@example.com")
    assert first.post("/accounts/otp/", {"code": code}).status_code == 302
    # when: the cache is emptied (a restart, another process) and the same code is replayed
    cache.clear()
    second = Client()
    sign_in(second, "wh@example.com")
    replay = second.post("/accounts/otp/", {"code": code})
    # then
    assert replay.status_code == 400
    assert second.session.get(OTP_SESSION_KEY) is None
    fresh = User.objects.get(pk=user.pk)
    assert otp.verify_code(user=fresh, code=code) is False


def _enrol(client: Client, email: str) -> list[str]:
    """Sign in as a new staff member, enrol the app; the recovery codes the page shows."""
    sign_in(client, email)
    page = client.get("/accounts/otp/").content.decode()
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert found is not None
    done = client.post(
        "/accounts/otp/",
        {"code": pyotp.TOTP(found.group(1).replace(" ", "")).now(), "next": "/staff/"},
    )
    assert done.status_code == 200
    return re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.content.decode())


@pytest.mark.commitment("C4.7")
def test_enrolment_shows_ten_recovery_codes_once_and_stores_only_digests():
    # given
    user = create_account(email="new.staff@example.com", password=PASSWORD, role="finance")
    # when
    codes = _enrol(Client(), "new.staff@example.com")
    # then
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=user).values_list("digest", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert not any(code.replace("-", "") in digest.upper() for digest in stored)
    # and they are not shown again
    again = Client()
    sign_in(again, "new.staff@example.com")
    assert not re.findall(r"<li><code>", again.get("/accounts/otp/").content.decode())


@pytest.mark.commitment("C4.7")
def test_a_recovery_code_signs_in_once_in_place_of_the_app_code():
    # given: an enrolled staff member who lost their phone
    user = create_account(email="new.staff@example.com", password=PASSWORD, role="finance")
    codes = _enrol(Client(), "new.staff@example.com")
    client = Client()
    sign_in(client, "new.staff@example.com")
    # when
    used = client.post("/accounts/otp/", {"code": codes[3].lower(), "next": "/accounts/"})
    # then
    assert used.status_code == 302 and used["Location"] == "/accounts/"
    assert client.session[OTP_SESSION_KEY] is True
    entry = AuditEntry.objects.filter(action="staff.recovery_code_used").get()
    assert entry.subject_ref == str(user.subject) and entry.detail == {"left": 9}
    # and the same code a second time is refused
    other = Client()
    sign_in(other, "new.staff@example.com")
    assert other.post("/accounts/otp/", {"code": codes[3]}).status_code == 400
    assert other.session.get(OTP_SESSION_KEY) is None
    # and another of the codes still works
    assert other.post("/accounts/otp/", {"code": codes[4]}).status_code == 302


@pytest.mark.commitment("C4.7")
def test_guessing_recovery_codes_goes_through_the_sign_in_limiter(settings):
    # given
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    create_account(email="new.staff@example.com", password=PASSWORD, role="finance")
    codes = _enrol(Client(), "new.staff@example.com")
    client = Client()
    sign_in(client, "new.staff@example.com")
    # when: wrong recovery codes use up the account's budget
    answers = [client.post("/accounts/otp/", {"code": "ABCDE-FGHJK"}).status_code for _ in range(3)]
    last = client.post("/accounts/otp/", {"code": codes[0]})
    # then: past the limit even a right code is refused, and it is not used up
    assert answers == [400, 400, 400]
    assert last.status_code == 429
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 0


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db(transaction=True)  # each thread has its own connection
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_one_code_checked_by_parallel_requests_is_accepted_once(
    make_staff: Callable[..., tuple[User, str]],
):
    # given: a code sent by several requests at the same moment (a replay racing the original)
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connections

    user, secret = make_staff()
    code = pyotp.TOTP(secret).now()
    start = Barrier(6)

    def check(_: int) -> bool:
        try:
            start.wait()
            return otp.verify_code(user=User.objects.get(pk=user.pk), code=code)
        finally:
            connections.close_all()  # the main database and the key store

    # when
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(check, range(6)))
    # then
    assert results.count(True) == 1


@pytest.mark.commitment("C4.7")
def test_one_persons_recovery_code_never_signs_in_another():
    # given: two enrolled staff members, each with their own ten codes
    create_account(email="ann.staff@example.com", password=PASSWORD, role="finance")
    bob = create_account(email="bob.staff@example.com", password=PASSWORD, role="warehouse")
    anns = _enrol(Client(), "ann.staff@example.com")
    bobs = _enrol(Client(), "bob.staff@example.com")
    # when: Bob's sign-in is given one of Ann's codes
    client = Client()
    sign_in(client, "bob.staff@example.com")
    refused = client.post("/accounts/otp/", {"code": anns[0]})
    # then: refused, and Ann's code is not used up
    assert refused.status_code == 400 and client.session.get(OTP_SESSION_KEY) is None
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 0
    # and Bob's own code works, and the audit counts the codes Bob has left, not everyone's
    assert client.post("/accounts/otp/", {"code": bobs[0]}).status_code == 302
    entry = AuditEntry.objects.filter(action="staff.recovery_code_used").get()
    assert entry.subject_ref == str(bob.subject) and entry.detail == {"left": 9}
    # by Bob himself, on his own account (who used it, and on what, is on the record)
    assert (entry.actor_ref, entry.actor_role) == (str(bob.subject), "warehouse")
    assert entry.target == f"accounts.User:{bob.pk}"


@pytest.mark.commitment("C4.7")
def test_a_recovery_code_needs_a_confirmed_second_factor_and_its_own_shape():
    ann = create_account(email="ann.staff@example.com", password=PASSWORD, role="finance")
    codes = _enrol(Client(), "ann.staff@example.com")
    ann = User.objects.get(pk=ann.pk)
    # six digits are an app code, never taken for a recovery code
    assert otp.use_recovery_code(user=ann, code="123456") is False
    # an account whose second factor is no longer confirmed cannot use its old codes
    User.objects.filter(pk=ann.pk).update(totp_confirmed_at=None)
    unconfirmed = User.objects.get(pk=ann.pk)
    assert otp.use_recovery_code(user=unconfirmed, code=codes[0]) is False
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 0


@pytest.mark.commitment("C4.7")
def test_the_enrolment_qr_code_holds_the_shops_name_the_role_and_a_pseudonym_never_the_email():
    # given a new staff member on the enrolment page
    from urllib.parse import parse_qs, unquote, urlsplit

    import qrcode
    import qrcode.image.svg

    user = create_account(email="new.staff@example.com", password=PASSWORD, role="finance")
    client = Client()
    sign_in(client, "new.staff@example.com")
    page = client.get("/accounts/otp/").content.decode()
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert found is not None
    secret = found.group(1).replace(" ", "")
    # when the app reads what the QR code holds
    uri = otp.provisioning_uri(user=User.objects.get(pk=user.pk), secret=secret)
    parts = urlsplit(uri)
    # then: the shop's name, the role and the first 8 characters of the pseudonymous id
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == f"/Lookout:Finance {str(user.subject)[:8]}"
    assert parse_qs(parts.query) == {"secret": [secret], "issuer": ["Lookout"]}
    assert "example.com" not in unquote(uri) and "new.staff" not in unquote(uri)
    # and the page's QR code is that URI, drawn inline (no request leaves the page), the
    # figure holding the drawing and nothing else before its caption
    drawn = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    svg = drawn.to_string(encoding="unicode")
    assert f'<figure class="qr">{svg}<figcaption>' in page


@pytest.mark.commitment("C4.7")
def test_no_code_passes_for_an_account_without_a_second_factor():
    user = create_account(email="plain@example.com", password=PASSWORD)
    assert user.totp_secret is None
    for code in ("123456", "000000", pyotp.TOTP(pyotp.random_base32()).now()):
        assert otp.verify_code(user=user, code=code) is False


@pytest.mark.commitment("C4.7")
@pytest.mark.parametrize(
    "code, recovery",
    [
        ("ABCDE-FGHJK", True),
        ("abcde fghjk", True),  # typed in lower case, with a space
        ("ABCDE-FGHJ", False),  # one character short
        ("ABCDEFGHJKL", False),  # one too many
        ("1234567890", False),  # ten digits: never a recovery code
        ("123456", False),  # an app code
        ("ABCDE", False),
    ],
)
def test_a_code_is_read_as_a_recovery_code_only_with_its_length_and_letters(code, recovery):
    assert otp.looks_like_recovery_code(code) is recovery


@pytest.mark.commitment("C4.7")
def test_an_app_code_counts_within_one_window_of_drift_and_no_further(
    make_staff: Callable[..., tuple[User, str]],
):
    import time

    user, secret = make_staff()
    totp = pyotp.TOTP(secret)
    now = time.time()
    # two windows away, either side: refused (a clock that far off, or an old code)
    for far in (now + 2 * totp.interval, now - 2 * totp.interval):
        assert otp.verify_code(user=User.objects.get(pk=user.pk), code=totp.at(far)) is False
    # the current code, typed in two groups as apps show it, is accepted
    current = totp.at(now)
    spaced = f"{current[:3]} {current[3:]}"
    assert otp.verify_code(user=User.objects.get(pk=user.pk), code=spaced) is True
