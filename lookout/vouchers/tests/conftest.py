from lookout.orders.testing import partners, policies, staff  # noqa: F401
