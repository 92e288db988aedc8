"""Public pages of an erasure's proof (issue 26): the store's signing key and the certificates.

- `/.well-known/lookout-deletion-key.pem` (and `.jwk`): the Ed25519 public key that signs
  deletion certificates and the redaction requests partners receive.
- `/privacy/certificates/<reference>/`: the certificate an erased person was given the
  reference of, as a page; `<reference>.json` is the signed document to keep and verify
  (`lookout verify-certificate`, docs/erasure-certificate.md). Public by design: the person is
  erased, so there is no one left to sign in as; the reference (120 random-looking bits) is the
  only key, and the certificate names nobody.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from lookout.sharing import signing
from lookout.sharing.redaction import signed_certificate

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


@require_http_methods(["GET", "HEAD"])
def certificate_page(request: HttpRequest, reference: str) -> HttpResponse:
    signed = signed_certificate(reference)
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
def certificate_json(request: HttpRequest, reference: str) -> HttpResponse:
    signed = signed_certificate(reference)
    if signed is None:
        return JsonResponse({"error": NOT_YET}, status=404)
    response = HttpResponse(json.dumps(signed, indent=2), content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="lookout-deletion-certificate-{reference.lower()}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response
