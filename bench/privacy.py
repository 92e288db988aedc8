"""What subject requests cost: building the access file for a customer with 1,000 orders, and
erasing that customer (C6.2, C6.4).

Run: .venv/bin/python bench/privacy.py [orders]   (a throwaway SQLite database under a temp dir,
or DATABASE_URL's server). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time

os.environ.setdefault("LOOKOUT_ENV", "development")
os.environ.setdefault("LOOKOUT_DEBUG", "0")
os.environ["LOOKOUT_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
if "DATABASE_URL" not in os.environ:
    os.environ["LOOKOUT_VAR_DIR"] = tempfile.mkdtemp(prefix="lookout-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")

import django

django.setup()

from django.core.management import call_command


def main(orders: int) -> int:
    from lookout.accounts.services import create_account
    from lookout.catalog.tests.factories import product
    from lookout.orders.services import place_order
    from lookout.orders.testing import details, make_cart
    from lookout.policies.initial import ensure_initial_versions
    from lookout.privacy.access_file import build_document
    from lookout.privacy.erasure import erase_subject
    from lookout.vault.master import ensure_master_keys

    ensure_master_keys()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="keystore", verbosity=0)
    ensure_initial_versions()
    engine = django.conf.settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}")

    user = create_account(
        email=f"bench.{secrets.token_hex(4)}@example.com", password="bench-passphrase-1"
    )
    item = product(stock=orders * 2)
    start = time.perf_counter()
    for _ in range(orders):
        cart, _ = make_cart(item)
        place_order(
            cart=cart,
            delivery=details(email=None),
            idempotency_key=secrets.token_urlsafe(16),
            user=user,
        )
    print(f"placed {orders} orders in {time.perf_counter() - start:.1f} s (setup)")

    start = time.perf_counter()
    document = build_document(subject=user.subject)
    built = time.perf_counter() - start
    size = len(str(document))
    print(f"access file, {orders} orders: {built:.2f} s ({size / 1e6:.1f} MB of JSON text)")

    start = time.perf_counter()
    counts = erase_subject(subject=user.subject)
    erased = time.perf_counter() - start
    print(f"erasure of that customer: {erased:.2f} s  {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
