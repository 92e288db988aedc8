"""What each retention field holds (C2.1): run reports and scheduler state, nobody's data."""

from datetime import timedelta

from lookout.core.inventory import NotPersonal, Retention
from lookout.retention.models import RetentionRun, ScheduledJob

# Run reports are evidence that retention happens; they name rules and counts, never people.
RUN_REPORT_RETENTION = Retention("retention_report", timedelta(days=2 * 365), "the run finished")

_R = RUN_REPORT_RETENTION
FIELDS = {
    RetentionRun: {
        "id": NotPersonal("random run id", retention=_R),
        "rule": NotPersonal("name of the retention rule", retention=_R),
        "retention": NotPersonal("name of the retention period", retention=_R),
        "status": NotPersonal("running, done or interrupted", retention=_R),
        "started_at": NotPersonal("when the run started", retention=_R),
        "finished_at": NotPersonal("when the run finished", retention=_R),
        "cutoff": NotPersonal("records older than this were due", retention=_R),
        "cursor": NotPersonal(
            "high-water mark: the last row id processed (a random or sequential row id)",
            retention=_R,
        ),
        "batches": NotPersonal("how many batches were committed", retention=_R),
        "processed": NotPersonal("how many rows were purged or anonymized", retention=_R),
        "resumed_from": NotPersonal("the interrupted run this one continued", retention=_R),
    },
    ScheduledJob: {
        "name": NotPersonal("name of a periodic task"),
        "cron": NotPersonal("when it runs (crontab syntax)"),
        "next_run_at": NotPersonal("when it is next due"),
        "last_enqueued_at": NotPersonal("when it was last handed to the task queue"),
        "last_result_id": NotPersonal("the task queue's id of that run"),
        "last_status": NotPersonal("that run's status as the queue last reported it"),
        "last_succeeded_at": NotPersonal("when a run last finished successfully"),
        "retries": NotPersonal("how often this slot's run was enqueued again"),
        "created_at": NotPersonal("when a scheduler first saw the task"),
    },
}
