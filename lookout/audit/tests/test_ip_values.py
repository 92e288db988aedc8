"""The audit log refuses IPv6 addresses as it refuses IPv4 ones, and nothing it should keep (C4.4).

`record` refuses a target or detail value that the log masking would change: an IP address is
personal data, and the chain keeps the pseudonymous subject id instead. The IPv6 masking must not
catch the ordinary values that audited writes record, or those writes would fail.
"""

from __future__ import annotations

import uuid

import pytest

from lookout.audit.models import AuditEntry
from lookout.audit.services import AuditDataError, DetailValue, record

pytestmark = pytest.mark.django_db

IPV6_VALUES = [
    "2001:db8:1234:5678::1",
    "2001:0db8:1234:5678:9abc:def0:1234:5678",
    "[2001:db8:1234:5678::1]:8080",
    "fe80::1%eth0",
    "::ffff:198.51.100.77",
    "client 2001:db8:abcd:12::7 signed in",
    "ip:2001:db8:abcd:12::7",
]


@pytest.mark.commitment("C4.4")
@pytest.mark.parametrize("value", IPV6_VALUES)
def test_an_ipv6_address_in_the_target_is_refused_and_nothing_is_written(value):
    with pytest.raises(AuditDataError, match="personal data"):
        record(actor=None, action="test.ip", target=value)
    assert not AuditEntry.objects.exists()


@pytest.mark.commitment("C4.4")
@pytest.mark.parametrize("value", IPV6_VALUES)
def test_an_ipv6_address_in_the_detail_is_refused_and_nothing_is_written(value):
    with pytest.raises(AuditDataError, match="personal data"):
        record(actor=None, action="test.ip", detail={"from": value})
    assert not AuditEntry.objects.exists()


ID = str(uuid.UUID("52575325-2357-452c-87c1-4b49d507289c"))
ORDINARY_TARGETS = [
    f"accounts.User:{ID}",
    f"orders.Order:{ID}",
    f"order:{ID}:placed",
    "accounts.User:3 records",
    "2030-01-01T18:34:50.123456+00:00",
]
ORDINARY_DETAILS: dict[str, DetailValue] = {
    "at": "2030-01-01T18:34:50.123456+00:00",
    "time": "18:34:50",
    "due_on": "2030-01-31",
    "amount": "1234.56",
    "count": 42,
    "order": "LK-7Q2M4K9X",
    "event": f"order:{ID}:placed",
    "digest": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "key": "k-2030-01:primary",
    "masked": "email,phone",
    "bulk": False,
    "none": None,
}


@pytest.mark.commitment("C4.4")
@pytest.mark.parametrize("target", ORDINARY_TARGETS)
def test_ordinary_targets_are_recorded_as_given(target):
    entry = record(actor=None, action="order.placed", target=target)
    assert AuditEntry.objects.get(seq=entry.seq).target == target


@pytest.mark.commitment("C4.4")
def test_ordinary_details_and_action_names_are_recorded_as_given():
    for action in ("keys.rotated", "payment.refunded", "order:placed", "guest.challenge_started"):
        record(actor=None, action=action, target=f"orders.Order:{ID}", detail=ORDINARY_DETAILS)
    stored = list(AuditEntry.objects.order_by("seq").values_list("action", "detail"))
    assert [action for action, _ in stored] == [
        "keys.rotated",
        "payment.refunded",
        "order:placed",
        "guest.challenge_started",
    ]
    assert all(detail == ORDINARY_DETAILS for _, detail in stored)


def test_an_already_cut_network_is_not_personal_data():
    # what the masking itself writes may be recorded (as an IPv4 /24 may)
    entry = record(actor=None, action="test.ip", detail={"network": "2001:db8:1234::"})
    assert entry.detail == {"network": "2001:db8:1234::"}
