"""A sandbox card processor with a hosted payment page, standing in for a third party (C2.3).

`app.SandboxProcessor` is a plain WSGI application with its own SQLite storage; `mount.py`
serves it beside the store; `signing.py` holds what the store and the processor share.
"""
