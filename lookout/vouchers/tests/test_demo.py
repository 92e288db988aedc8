"""The demo's discount codes: made once, each answering as its description says."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lookout.catalog.tests.factories import category
from lookout.vouchers import demo
from lookout.vouchers.models import Voucher
from lookout.vouchers.services import Item, Reason, VoucherRefused, preview

pytestmark = pytest.mark.django_db


def test_demo_codes_are_made_once_and_answer_as_described() -> None:
    category("indoor-cameras", "Indoor cameras")
    said: list[str] = []
    demo.load(progress=said.append)
    Voucher.objects.filter(code="WELCOME10").update(times_used=3)
    demo.load(progress=said.append)  # again: nothing new, uses kept
    assert said[0].startswith("5 demo discount code(s) made") and said[1].startswith("0 demo")
    assert Voucher.objects.get(code="WELCOME10").times_used == 3
    cart = [Item(key=1, total=Decimal("149.99"))]
    assert preview("welcome10", cart).amount == Decimal("15.00")
    for code, reason in [
        ("SAVE20", Reason.MINIMUM),
        ("SUMMER25", Reason.EXPIRED),
        ("NEXTYEAR", Reason.NOT_YET_VALID),
    ]:
        with pytest.raises(VoucherRefused) as refused:
            preview(code, cart)
        assert refused.value.reason == reason
    assert preview("SAVE20", [Item(key=1, total=Decimal("150.00"))]).amount == Decimal("20.00")
    assert list(Voucher.objects.get(code="INDOOR15").categories.values_list("slug", flat=True)) == [
        "indoor-cameras"
    ]
