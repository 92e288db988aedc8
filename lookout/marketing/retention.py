"""Retention rules of marketing data (C4.6), collected by lookout.retention.registry."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import OuterRef, Subquery

from lookout.accounts.models import MarketingChoice, User
from lookout.core.inventory import CONSENT_RETENTION
from lookout.core.retention_rules import queryset_rule
from lookout.marketing.models import Promotion, PurposeConsent
from lookout.marketing.personal_data import PROMOTION_RETENTION


def _withdrawn_marketing(cutoff: datetime) -> models.QuerySet[MarketingChoice]:
    """Every choice of people whose choice in force is an opt-out made before the cutoff: the
    consent is long over, so its record goes (an opt-in in force keeps its proof)."""
    latest = MarketingChoice.objects.filter(user=OuterRef("pk")).order_by("-at")
    withdrawn = (
        User.objects.annotate(
            latest_in=Subquery(latest.values("opted_in")[:1]),
            latest_at=Subquery(latest.values("at")[:1]),
        )
        .filter(latest_in=False, latest_at__lt=cutoff)
        .values("pk")
    )
    return MarketingChoice.objects.filter(user__in=withdrawn)


RULES = [
    queryset_rule(
        name="marketing.withdrawn_choices",
        retention=CONSENT_RETENTION,
        does="deletes the marketing choices of people who opted out before the cutoff",
        due=_withdrawn_marketing,
    ),
    queryset_rule(
        name="marketing.withdrawn_purpose_consents",
        retention=CONSENT_RETENTION,
        does="deletes consents for other purposes withdrawn before the cutoff",
        due=lambda cutoff: PurposeConsent.objects.filter(withdrawn_at__lt=cutoff),
    ),
    queryset_rule(
        name="marketing.promotions",
        retention=PROMOTION_RETENTION,
        does="deletes promotions sent (or drafted) before the cutoff",
        due=lambda cutoff: Promotion.objects.filter(created_at__lt=cutoff),
    ),
]
