"""Django's session middleware, except that a request never signs the browser out by accident.

Django deletes the session cookie whenever a request arrives with a cookie for a session that is
gone. Signing in rotates the session id (`cycle_key`) and deletes the old session, so any request
the browser had in flight with the old cookie (the analytics beacon sent as a form is submitted,
an htmx call, a second tab) would come back with "delete the session cookie" and, arriving after
the sign-in's answer, remove the new cookie too: the person is signed out at random.

Here the cookie is deleted only when the request itself emptied the session (signing out flushes
it). A cookie naming an unknown session is left alone: it opens nothing, and the next sign-in
replaces it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        stale = (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not session.modified
            and session.is_empty()
        )
        response = super().process_response(request, response)
        if stale:
            # Django added a deletion for a session this request did not end: drop it.
            response.cookies.pop(settings.SESSION_COOKIE_NAME, None)
        return response


def end_sessions(*, user_pk: object) -> int:
    """Delete every stored session signed in as `user_pk`; how many were deleted.

    Sessions live in the database (Django's default engine), keyed by a random id and not by
    person, so each live session is decoded to find whose it is. This runs only when an
    administrator deactivates someone or resets their second factor, which is rare."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    wanted = str(user_pk)
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY, "")) == wanted
    ]
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)
