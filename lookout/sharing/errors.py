"""Refusals of the sharing app, each with a message an operator or a person understands."""

from __future__ import annotations

from lookout.core.errors import Conflict, Forbidden, LookoutError


class PartnerRefused(LookoutError):
    """Bad input when registering a partner or recording an agreement (400); nothing written."""


class PartnerExists(Conflict):
    """A partner of that name is already registered (409)."""


class DisclosureRefused(Forbidden):
    """Personal data may not go to this partner, for this purpose, from this record (403).

    The refusal is on the audit log (action "disclosure", outcome "refused") and nothing was
    read or sent.
    """


class NoValidAgreement(DisclosureRefused):
    """The partner has no signed data agreement in force today (C5.2)."""
