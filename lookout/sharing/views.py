"""Public pages of an erasure's proof (issue 26): the store's signing key and the certificates.

- `/.well-known/lookout-deletion-key.pem` (and `.jwk`): the Ed25519 public key that signs
  deletion certificates and the redaction requests partners receive.
- `/privacy/certificates/<reference>/`: the certificate an erased person was given the
  reference of, as a page; `<reference>.json` is the signed document to keep and verify
  (`lookout verify-certificate`, docs/erasure-certificate.md). Public by design: the person is
  erased, so there is no one left to sign in as; the reference (120 random-looking bits) is the
  only key, and the certificate names nobody. Looking up references that do not exist is
  limited per client network (`MISSES_PER_WINDOW` in the sign-in limiter's window): a found
  certificate gives its place back, so only guesses count.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from lookout.accounts.throttle import Bucket, Throttled, guarded, throttle_key_for_ip
from lookout.core.client_ip import client_ip
from lookout.sharing import signing
from lookout.sharing.redaction import signed_certificate

MISSES_PER_WINDOW = 30

NOT_YET = (
    "There is no certificate with this reference yet. It is issued when your data is erased; "
    "check the reference you were given when you asked."
)


@require_http_methods(["GET", "HEAD"])
def public_key_pem(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_http_methods(["GET", "HEAD"])
def public_key_jwk(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"keys": [signing.public_jwk()]})
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/certificate.html", {"message": NOT_YET}, status=404)


def _look_up(request: HttpRequest, reference: str) -> dict | None:
    """The signed certificate, through the per-network limit on references that miss."""
    bucket = Bucket(
        "certificate-lookup", throttle_key_for_ip(client_ip(request)), MISSES_PER_WINDOW
    )
    return guarded(
        buckets=[bucket],
        check=lambda: signed_certificate(reference),
        what="certificate look-ups",
    )


def _throttled(request: HttpRequest, error: Throttled, *, as_json: bool) -> HttpResponse:
    if as_json:
        response: HttpResponse = JsonResponse({"error": error.message}, status=429)
    else:
        context = {"message": error.message}
        response = render(request, "privacy/certificate.html", context, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


@require_http_methods(["GET", "HEAD"])
def certificate_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signed = _look_up(request, token)
    except Throttled as error:
        return _throttled(request, error, as_json=False)
    if signed is None:
        return _not_found(request)
    response = render(
        request,
        "privacy/certificate.html",
        {"certificate": signed["document"], "signature": signed["signature"]},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def certificate_json(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signed = _look_up(request, token)
    except Throttled as error:
        return _throttled(request, error, as_json=True)
    if signed is None:
        return JsonResponse({"error": NOT_YET}, status=404)
    response = HttpResponse(json.dumps(signed, indent=2), content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="lookout-deletion-certificate-{token.lower()}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response
