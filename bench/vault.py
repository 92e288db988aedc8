"""What the vault costs: sealing and revealing one field, and a whole sign-up.

Run: .venv/bin/python bench/vault.py   (uses a throwaway SQLite database under a temp dir, or
DATABASE_URL's server). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("LOOKOUT_ENV", "development")
os.environ.setdefault("LOOKOUT_DEBUG", "0")
if "DATABASE_URL" not in os.environ:
    os.environ["LOOKOUT_VAR_DIR"] = tempfile.mkdtemp(prefix="lookout-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")

import django

django.setup()

from django.core.management import call_command


def timed(label: str, fn: Callable[[int], object], n: int) -> None:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    samples.sort()
    mean = statistics.fmean(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(
        f"{label:<42} n={n:<6} mean={mean * 1e6:9.1f} µs  p99={p99 * 1e6:9.1f} µs  "
        f"({1 / mean:,.0f}/s)"
    )


def main() -> int:
    from lookout.access import reveal
    from lookout.accounts.models import User
    from lookout.accounts.services import create_account
    from lookout.core.purposes import Purpose
    from lookout.vault.blind_index import email_index
    from lookout.vault.crypto import open_sealed, seal
    from lookout.vault.master import ensure_master_keys

    ensure_master_keys()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="keystore", verbosity=0)
    user = create_account(email="bench@example.com", password="bench-passphrase-1")
    subject, context = user.subject, b"bench.field.row"
    blob = seal(subject=subject, plaintext="Ada Lovelace, 12 Example Street", context=context)

    print(f"database: {django.conf.settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    timed(
        "seal one field (key fetch + AES-GCM)",
        lambda i: seal(
            subject=subject, plaintext="Ada Lovelace, 12 Example Street", context=context
        ),
        2000,
    )
    timed(
        "open one field (key fetch + AES-GCM)",
        lambda i: open_sealed(subject=subject, blob=blob, context=context),
        2000,
    )
    timed("blind index of an email (HMAC)", lambda i: email_index(f"p{i}@example.com"), 5000)
    loaded = User.objects.get(pk=user.pk)
    timed(
        "reveal(email) incl. matrix + audit entry",
        lambda i: reveal(loaded, ["email"], purpose=Purpose.SELF_SERVICE, actor=loaded),
        1000,
    )
    timed(
        "sign-up (data key + seal + Argon2 hash)",
        lambda i: create_account(email=f"signup{i}@example.com", password="bench-passphrase-1"),
        50,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
