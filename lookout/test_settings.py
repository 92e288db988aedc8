"""Settings for the test suite: the `test` profile of lookout.settings."""

import os

os.environ["LOOKOUT_ENV"] = "test"

from lookout.settings import *  # noqa: F403
