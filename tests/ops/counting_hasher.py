"""The project's real password hasher, which also notes each password check in a file.

Only the sign-in limit test's server uses it (tests/ops/sign_in_limit_settings.py): the server
process itself writes one line per `verify` (a real Argon2 check), so the test counts the checks
the server really made, from outside it. O_APPEND writes of one short line are atomic across the
server's processes and threads.
"""

from __future__ import annotations

import os

from django.contrib.auth.hashers import Argon2PasswordHasher


class CountingArgon2PasswordHasher(Argon2PasswordHasher):
    def verify(self, password: str, encoded: str) -> bool:
        fd = os.open(os.environ["LOOKOUT_TEST_CHECKS_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, b"checked\n")
        finally:
            os.close(fd)
        return super().verify(password, encoded)
