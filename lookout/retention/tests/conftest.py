from lookout.orders.testing import policies  # noqa: F401
