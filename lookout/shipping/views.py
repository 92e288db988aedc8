"""The carrier's tracking webhook. No cookie, no CSRF token: the HMAC signature over the body
is what authenticates the carrier (see lookout.shipping.webhooks)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lookout.core.errors import LookoutError
from lookout.shipping.webhooks import HEADER, handle_webhook


@csrf_exempt
@require_POST
def carrier_webhook(request: HttpRequest) -> JsonResponse:
    try:
        event = handle_webhook(body=request.body, header=request.headers.get(HEADER, ""))
    except LookoutError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    return JsonResponse({"received": event.event_id, "status": event.status})
