from lookout.orders.testing import partners, policies, staff  # noqa: F401
from lookout.returns.testing import dispute_vendor  # noqa: F401
