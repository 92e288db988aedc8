"""Reads on accounts that other apps use (marketing sends, the account centre)."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from lookout.accounts.models import MarketingChoice, User


def marketing_opted_in(*, user: User) -> bool:
    """In force: the latest choice; no choice at all means not opted in (C3.6)."""
    latest = user.marketing_choices.order_by("-at").first()
    return bool(latest and latest.opted_in)


def users_opted_in_to_marketing() -> QuerySet[User]:
    """Open accounts whose latest choice is an opt-in: the only people marketing may write to.

    Evaluated at send time, so an opt-out takes effect for every later send (C3.7).
    """
    latest = MarketingChoice.objects.filter(user=OuterRef("pk")).order_by("-at")
    return User.objects.filter(is_active=True, closed_at__isnull=True).filter(
        pk__in=User.objects.annotate(latest_choice=Subquery(latest.values("opted_in")[:1]))
        .filter(latest_choice=True)
        .values("pk")
    )
