"""Settings for the sign-in limit test's server: Lookout's own, with a hasher that notes each
password check (tests/ops/counting_hasher.py). Everything else, the limiter included, is real."""

from lookout.settings import *  # noqa: F403

PASSWORD_HASHERS = ["tests.ops.counting_hasher.CountingArgon2PasswordHasher"]
