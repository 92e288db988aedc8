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
