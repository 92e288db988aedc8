from decimal import Decimal

from lookout.orders.testing import partners, policies, staff  # noqa: F401
from lookout.vouchers.models import Voucher
from lookout.vouchers.services import Item


def voucher(code: str = "SAVE10", **kw) -> Voucher:
    """A percentage code of 10 % with no use limit unless told otherwise."""
    kw.setdefault("kind", Voucher.Kind.PERCENT)
    if kw["kind"] == Voucher.Kind.PERCENT:
        kw.setdefault("percent", 10)
    kw.setdefault("usage_limit", None)
    return Voucher.objects.create(code=code, **kw)


def items(*totals: str) -> list[Item]:
    return [Item(key=i + 1, total=Decimal(t)) for i, t in enumerate(totals)]
