"""The `lookout` console command: the project's manage.py, installed on PATH."""

import gc
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    finally:
        # The interpreter's last garbage collections walk all of Django's heap on the way out
        # (about half a second of CPU per command on a 2-core machine); nothing left needs
        # them. atexit handlers, stream flushing and module teardown still run.
        gc.freeze()


if __name__ == "__main__":
    main()
