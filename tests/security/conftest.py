"""Fixtures for the security tests: the demo partners and policies the order flows need."""

from lookout.orders.testing import partners, policies  # noqa: F401
from lookout.returns.testing import dispute_vendor  # noqa: F401
