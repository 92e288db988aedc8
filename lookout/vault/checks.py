"""The master key source must be there before the store serves anyone (issue 19, finding 8).

Settings only check that production *names* a key source (LOOKOUT_MASTER_KEY_FILE or
LOOKOUT_KMS_URI). A named file that does not exist, or cannot be read, used to pass `lookout check
--deploy` and start the server; the first sign-up or order then failed with a 500, because no
person's data key can be wrapped without the master key. This check loads the keyset the way the
vault does, so a missing, unreadable or damaged file is reported before any request:

- by `lookout check --deploy` (a deploy-tagged check, like Django's own deployment checklist);
- when the production WSGI application starts (lookout/wsgi.py runs the checks tagged
  MASTER_KEY_TAG and refuses to start on an error), so `lookout serve`, or any WSGI server
  pointed at lookout.wsgi, stops with the message instead of serving.

It is not run by every management command: `lookout keys init`, which creates the file, must run
when the file is missing.

With LOOKOUT_KMS_URI the keys are not in a file, so there is nothing here to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

MASTER_KEY_TAG = "master_key"
HOW_TO_CREATE = (
    "Create it with `LOOKOUT_MASTER_KEY_FILE={path} lookout keys init` (a new keyset, for a new "
    "store), or point LOOKOUT_MASTER_KEY_FILE at the keyset this store's data was sealed with "
    "(restored from where it is kept, off the database's backups), or set LOOKOUT_KMS_URI. "
    "Without it no personal data can be written or read."
)


def master_key_problems() -> list[CheckMessage]:
    """What is wrong with the configured master key file, or nothing."""
    from lookout.vault.master import KeyFileSource, KeySourceError

    if settings.LOOKOUT_KMS_URI:
        return []
    path = Path(settings.LOOKOUT_MASTER_KEY_FILE)
    hint = HOW_TO_CREATE.format(path=path)
    try:
        KeyFileSource(path).load()
    except KeySourceError:
        return [
            Error(
                f"The master key file {path} (LOOKOUT_MASTER_KEY_FILE) does not exist.",
                hint=hint,
                id="vault.E001",
            )
        ]
    except OSError as exc:
        return [
            Error(
                f"The master key file {path} (LOOKOUT_MASTER_KEY_FILE) cannot be read: "
                f"{exc.strerror or type(exc).__name__}.",
                hint=hint,
                id="vault.E002",
            )
        ]
    except Exception as exc:  # any parse error means the same: not a keyset
        # Only the error's kind: its text could quote part of the file, i.e. key material.
        return [
            Error(
                f"The master key file {path} (LOOKOUT_MASTER_KEY_FILE) is not a Lookout master "
                f"keyset ({type(exc).__name__}).",
                hint=hint,
                id="vault.E003",
            )
        ]
    return []


@register(Tags.security, MASTER_KEY_TAG, deploy=True)
def check_master_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return master_key_problems()
