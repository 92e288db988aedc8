"""A tiny site for the concurrency test: Lookout's settings with one view that writes.

The view reads, then writes, inside one transaction: exactly the pattern that makes SQLite answer
"database is locked" when a deferred transaction has to upgrade its read lock to a write lock
while another connection writes. Sessions are used because they are a real Django table that
carries no personal data here.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


@csrf_exempt
@require_POST
def write(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        seen = Session.objects.count()
        Session.objects.create(
            session_key=uuid.uuid4().hex,
            session_data=f"seen {seen}",
            expire_date=timezone.now() + timedelta(days=1),
        )
    return HttpResponse("written")


@require_GET
def count(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(Session.objects.count()))


urlpatterns = [path("write/", write), path("count/", count)]
