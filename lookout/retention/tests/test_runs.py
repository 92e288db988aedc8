"""Runs are batched, reported, audited and resumable (C4.6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from lookout.audit.models import AuditEntry
from lookout.cart.models import Cart
from lookout.cart.services import open_cart
from lookout.core.inventory import CART_RETENTION
from lookout.retention.models import RetentionRun
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = T0 + CART_RETENTION.period + timedelta(days=1)


class Interrupted(Exception):
    """Stands for a crash or a deploy that stops the worker midway."""


def _stale_carts(n: int) -> list[int]:
    with freeze_time(T0):
        return sorted(open_cart()[0].pk for _ in range(n))


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_an_interrupted_purge_resumes_where_it_stopped():
    # given 5 stale carts, and a run that dies after its first batch of 2
    carts = _stale_carts(5)
    real = rule_named("cart.stale_carts")
    applied: list[list[int]] = []

    def dies_after_first_batch(keys, now):
        if applied:
            raise Interrupted
        applied.append(list(keys))
        return real.apply(keys, now)

    with freeze_time(LATER), pytest.raises(Interrupted):
        run_rule(rule=replace(real, apply=dies_after_first_batch), batch_size=2)
    # then the first batch is committed and the run stays open, with its high-water mark
    first = RetentionRun.objects.get()
    assert first.status == RetentionRun.Status.RUNNING
    assert (first.batches, first.processed) == (1, 2)
    assert first.cursor == str(carts[1])
    assert sorted(Cart.objects.values_list("pk", flat=True)) == carts[2:]

    # when the next run comes
    seen: list[list[int]] = []

    def watching(keys, now):
        seen.append(list(keys))
        return real.apply(keys, now)

    with freeze_time(LATER + timedelta(hours=1)):
        second = run_rule(rule=replace(real, apply=watching), batch_size=2)
    # then it starts after the mark, finishes the rest, and names the run it resumed
    assert [k for batch in seen for k in batch] == carts[2:]
    assert second.status == RetentionRun.Status.DONE
    assert second.resumed_from_id == first.pk
    assert second.processed == 3
    first.refresh_from_db()
    assert first.status == RetentionRun.Status.INTERRUPTED
    assert not Cart.objects.exists()
    # and the finished run is on the audit log, with what and how many (never whom)
    entry = AuditEntry.objects.filter(action="retention.run").get()
    assert entry.detail["rule"] == "cart.stale_carts"
    assert entry.detail["processed"] == 3 and entry.detail["resumed"] is True


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_plan_counts_and_changes_nothing():
    # given 3 stale carts
    _stale_carts(3)
    out = StringIO()
    # when the operator asks for the plan
    with freeze_time(LATER):
        call_command("retention", "plan", stdout=out)
    # then the plan shows the count per rule and nothing was deleted or reported
    line = next(line for line in out.getvalue().splitlines() if "cart.stale_carts" in line)
    assert line.split()[1] == "3"
    assert Cart.objects.count() == 3
    assert not RetentionRun.objects.exists()
    assert not AuditEntry.objects.filter(action="retention.run").exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_run_command_purges_with_progress_and_writes_a_report_per_rule():
    _stale_carts(3)
    out = StringIO()
    with freeze_time(LATER):
        call_command("retention", "run", "--batch-size", "2", stdout=out)
    text = out.getvalue()
    assert "cart.stale_carts: batch 1, 2 so far" in text
    assert "cart.stale_carts: 3 in 2 batch(es)" in text
    assert not Cart.objects.exists()
    report = RetentionRun.objects.get(rule="cart.stale_carts")
    assert (report.status, report.processed, report.batches) == ("done", 3, 2)
    assert report.finished_at is not None
    # every rule ran and reported, even those with nothing to do
    assert RetentionRun.objects.filter(status="done").count() == len(
        {r.rule for r in RetentionRun.objects.all()}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "--rule", "nope"], "No retention rule is named 'nope'"),
        (["run", "--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_run_command_refuses_bad_input_clearly(args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("retention", *args)
    assert not RetentionRun.objects.exists()
