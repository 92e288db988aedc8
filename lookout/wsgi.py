"""WSGI entry point served by granian (`lookout serve`).

Outside production the sandbox card processor (a separate WSGI app standing in for the third
party) is mounted under /sandbox-processor/, beside the store.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")

from lookout.payments.sandbox.mount import mount_sandbox

application = mount_sandbox(get_wsgi_application())
