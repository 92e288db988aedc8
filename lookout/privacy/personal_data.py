"""Declarations for the tables Lookout does not define itself (commitment C2.1).

Django's and third-party apps' tables (admin log, sessions, permissions, content types, the task
queue), the many-to-many tables Django creates for the user model, and the database cache table
(no model). None of them may hold personal data in plaintext; each entry says why it does not.
Where a column holds a person's random account id, it is declared personal with the category
`user.unique_id.pseudonymous`: it names nobody on its own, but it links to a person.

The privacy app's own models (subject requests, retention runs) are declared here too.
"""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django_tasks_db.models import DBTaskResult

from lookout.core.inventory import (
    ACCOUNT_LIFETIME,
    AUDIT_RETENTION,
    CACHE_RETENTION,
    SESSION_RETENTION,
    TASK_RETENTION,
    NotPersonal,
    RawTable,
    personal,
)
from lookout.core.purposes import Purpose
from lookout.privacy.request_fields import REQUEST_FIELDS

User = get_user_model()

_ROW_ID = NotPersonal("row number of a link table")
_ACCOUNT_LINK = personal(
    "user.unique_id.pseudonymous",
    Purpose.ACCOUNT_SECURITY,
    retention=ACCOUNT_LIFETIME,
    stored_as="pseudonymous id: the account's random UUID, never its email",
)

FIELDS = {
    # --- django.contrib.admin: the admin's own change log ------------------------------------
    LogEntry: {
        "id": NotPersonal("row number"),
        "action_time": NotPersonal(
            "when a staff member changed something", retention=AUDIT_RETENTION
        ),
        "user": personal(
            "user.unique_id.pseudonymous",
            Purpose.LEGAL,
            retention=AUDIT_RETENTION,
            stored_as="pseudonymous id: the staff account's random UUID",
        ),
        "content_type": NotPersonal("which kind of object was changed"),
        "object_id": personal(
            "user.unique_id.pseudonymous",
            Purpose.LEGAL,
            retention=AUDIT_RETENTION,
            stored_as="the changed row's primary key as text; for people a random UUID",
        ),
        "object_repr": NotPersonal(
            "str(obj) of the changed row; every model's __str__ leaves personal values out "
            "(a user is 'Role <first 8 characters of the pseudonymous subject id>')",
            retention=AUDIT_RETENTION,
        ),
        "action_flag": NotPersonal("added, changed or deleted"),
        "change_message": NotPersonal(
            "the names of the changed fields (Django writes names, never values)",
            retention=AUDIT_RETENTION,
        ),
    },
    # --- django.contrib.auth: groups and permissions (roles live on the user) ----------------
    Permission: {
        "id": NotPersonal("row number"),
        "name": NotPersonal("a permission's description, e.g. 'Can change product'"),
        "content_type": NotPersonal("the kind of object it applies to"),
        "codename": NotPersonal("a permission's code, e.g. 'change_product'"),
    },
    Group: {
        "id": NotPersonal("row number"),
        "name": NotPersonal("a group's name, shared by many people"),
    },
    Group.permissions.through: {
        "id": _ROW_ID,
        "group": NotPersonal("a group"),
        "permission": NotPersonal("a permission"),
    },
    User.groups.through: {  # type: ignore[attr-defined]
        "id": _ROW_ID,
        "user": _ACCOUNT_LINK,
        "group": NotPersonal("a group"),
    },
    User.user_permissions.through: {  # type: ignore[attr-defined]
        "id": _ROW_ID,
        "user": _ACCOUNT_LINK,
        "permission": NotPersonal("a permission"),
    },
    # --- django.contrib.contenttypes ---------------------------------------------------------
    ContentType: {
        "id": NotPersonal("row number"),
        "app_label": NotPersonal("an app's name"),
        "model": NotPersonal("a model's name"),
    },
    # --- django.contrib.sessions -------------------------------------------------------------
    Session: {
        "session_key": NotPersonal(
            "a random session id; the cookie carries it, the row links it to nothing but the "
            "session data below",
            retention=SESSION_RETENTION,
        ),
        "session_data": personal(
            "user.unique_id.pseudonymous",
            Purpose.ACCOUNT_SECURITY,
            retention=SESSION_RETENTION,
            stored_as=(
                "signed session data: the signed-in account's random UUID, its password-hash "
                "digest, second-factor and cart flags; never an email or other personal value"
            ),
        ),
        "expire_date": NotPersonal("when the session ends", retention=SESSION_RETENTION),
    },
    # --- django_tasks_db: the background task queue ------------------------------------------
    DBTaskResult: {
        "id": NotPersonal("random task id"),
        "status": NotPersonal("ready, running, successful or failed"),
        "enqueued_at": NotPersonal("when the task was queued", retention=TASK_RETENTION),
        "started_at": NotPersonal("when it started"),
        "finished_at": NotPersonal("when it finished"),
        "args_kwargs": personal(
            "user.unique_id.pseudonymous",
            Purpose.ACCOUNT_NOTICE,
            Purpose.SUBJECT_REQUEST,
            Purpose.LEGAL,
            retention=TASK_RETENTION,
            stored_as=(
                "task arguments: ids only (random UUIDs of rows and people), never personal "
                "values; a task loads what it needs through the vault"
            ),
        ),
        "priority": NotPersonal("queue priority"),
        "task_path": NotPersonal("the task function's dotted path"),
        "worker_ids": NotPersonal("ids of the worker processes that ran it"),
        "queue_name": NotPersonal("queue name"),
        "backend_name": NotPersonal("task backend name"),
        "run_after": NotPersonal("earliest start time"),
        "return_value": NotPersonal("counts and ids only; tasks return no personal values"),
        "exception_class_path": NotPersonal("the exception's class"),
        "traceback": NotPersonal(
            "code locations and messages of a failed task; task code names rows by id and "
            "personal fields load as masked Sealed values, so their plaintext cannot appear"
        ),
    },
}

# Tables that have no model: the database cache (settings' CACHES uses Django's DatabaseCache on
# `lookout_cache` when no Redis is configured; `lookout createcachetable` creates it) and the
# record of applied migrations, in every database (main and key store).
RAW_TABLES = [
    RawTable(
        table="lookout_cache",
        owner="cache",
        columns={
            "cache_key": NotPersonal(
                "cache keys; keys derived from a person or an IP address are keyed HMAC digests "
                "(e.g. login throttling), never the email or address itself",
                retention=CACHE_RETENTION,
            ),
            "value": NotPersonal(
                "pickled counters and rendered non-personal fragments; personal values are "
                "never cached",
                retention=CACHE_RETENTION,
            ),
            "expires": NotPersonal("when the entry expires", retention=CACHE_RETENTION),
        },
    ),
    RawTable(
        table="django_migrations",
        owner="django",
        columns={
            "id": NotPersonal("row number"),
            "app": NotPersonal("an app's name"),
            "name": NotPersonal("a migration's name"),
            "applied": NotPersonal("when the migration ran"),
        },
    ),
]

# The privacy app's own tables: subject requests and guest codes (see request_fields.py).
FIELDS.update(REQUEST_FIELDS)  # type: ignore[arg-type]
