"""Self-audit check that the periodic jobs run: retention (C4.6), the analytics roll-ups and
purges, and the self-audit itself. A scheduler that died, or runs that keep failing or getting
lost, would otherwise go unnoticed while data outlives its retention period (decision 0030)."""

from __future__ import annotations

from lookout.compliance.selfaudit.result import CheckResult, titled


@titled("Periodic jobs run on time")
def periodic_jobs() -> CheckResult:
    """Every periodic job ran within its interval: none is overdue (see
    `lookout.core.scheduler.job_states`: its due time well past, or no success since its last
    slot, two hours of grace after it)."""
    from lookout.core.scheduler import job_states

    states = job_states()
    late = [s for s in states if s.overdue]
    return CheckResult(
        "periodic_jobs",
        ("C4.6",),
        not late,
        f"{len(states)} periodic jobs, none overdue"
        if not late
        else "overdue: " + "; ".join(f"{s.name} ({s.why})" for s in late),
        {"jobs": {s.name: s.as_json() for s in states}},
    )
