"""The sandbox card processor: a WSGI application of its own, standing in for a third party.

It plays a hosted payment page. The store creates a payment session server-to-server, sends
the customer's browser to `/pay/<reference>`, the customer types the card here, and this app
redirects the browser back to the store's return URL with an HMAC-signed reference. The store
then asks `/api/sessions/<reference>` for the outcome. The card number and CVC arrive only in
the POST to this app, decide the outcome and are dropped: they are never stored, logged or
echoed back in a page (C2.3). It does not use Django: it is mounted beside the store by
`mount.py`, so the store's middleware, views and error reports never see the card form.

Routes (below the mount prefix):
  GET/POST /pay/<reference>                 the card form, for the customer's browser
  POST     /api/sessions                    create (Idempotency-Key header, JSON body)
  GET      /api/sessions/<reference>        status; a timeout-card session hangs, then 504
  POST     /api/sessions/<reference>/capture
  POST     /api/sessions/<reference>/expire  close an open page; a decided session is returned
  POST     /api/sessions/<reference>/void    release an uncaptured authorization ('voided')
  POST     /api/sessions/<reference>/refund (Idempotency-Key header, {"amount": "1.00"})
  POST     /api/redactions                  the store's signed redaction request (issue 26)
  GET      /api/redactions/<id>             whether the processor has finished it
The API answers only with the store's bearer key (derived from the shared secret).

Redaction requests: when a person is erased the store asks the processor to forget what it
holds about their payments. The request is signed with the store's Ed25519 key
(`Lookout-Signature: keyid=<id>,ed25519=<base64url>` over the canonical JSON of the body:
keys sorted, no spaces, ASCII); the processor checks it with the store's published public key
(`store_public_key`, PEM) before touching anything, clears the name hint, return address and
card facts of the sessions named, and answers with its own reference: "completed" at once, or
"received" when `complete_redactions` is off (a processor whose privacy desk answers later;
`finish_redactions()` plays that desk), which the store asks about again later.

Webhooks: with a `webhook` to send to, every change of a session's state (authorized,
declined, cancelled, captured, refunded, expired, voided) queues an event in the same
transaction (an outbox in its SQLite file); `deliver_events` POSTs each, HMAC-signed with a
timestamp (`signing.sign_event`), and forgets it once the store answered 2xx; one not taken
is sent again later, as a real processor retries. The event says only which session changed
and how: the store asks the API for the session's current state.
"""

from __future__ import annotations

import base64
import html
import http.client
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from sandbox_processor import signing
from sandbox_processor.cards import CardError, read_card
from sandbox_processor.storage import SessionStore, StorageConflict

logger = logging.getLogger("sandbox_processor")

StartResponse = Callable[..., Any]
Response = tuple[str, list[tuple[str, str]], bytes]

MAX_BODY = 16 * 1024
MAX_AMOUNT = Decimal("1000000.00")
_TEMPLATES = Path(__file__).parent / "templates"
_PAY = re.compile(r"/pay/(ps_[A-Za-z0-9_-]{16,64})/?")
_SESSION = re.compile(r"/api/sessions/(ps_[A-Za-z0-9_-]{16,64})(/capture|/refund|/expire|/void)?/?")
_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_REDACTION = re.compile(r"/api/redactions/(rd_[A-Za-z0-9_-]{16,64})/?")
_REFERENCE = re.compile(r"ps_[A-Za-z0-9_-]{16,64}")
REDACTION_HEADER = "HTTP_LOOKOUT_SIGNATURE"
MAX_REDACTION_RECORDS = 1000
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    500: "Internal Server Error",
    504: "Gateway Timeout",
}


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def _template(name: str) -> Template:
    return Template((_TEMPLATES / name).read_text(encoding="utf-8"))


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


ABANDON_AFTER_SECONDS = 3600.0
PURGE_EVERY_SECONDS = 60.0
# An event the store did not take is sent again after this long.
WEBHOOK_RETRY_SECONDS = 30.0

# Sends one webhook: (body, headers) -> the HTTP status the store answered.
Webhook = Callable[[bytes, dict[str, str]], int]


class HttpWebhook:
    """POSTs webhooks to the store's URL (development: the store's own server)."""

    def __init__(self, url: str, *, timeout: float = 10.0):
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("the webhook URL must start with http:// or https://")
        self.url, self.timeout = url, timeout

    def __call__(self, body: bytes, headers: dict[str, str]) -> int:
        parts = urlsplit(self.url)
        https = parts.scheme == "https"
        kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
        connection = kind(parts.netloc, timeout=self.timeout)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", path or "/", body=body, headers=headers)
            return int(connection.getresponse().status)
        except (OSError, http.client.HTTPException):
            return 0  # not reached: sent again later
        finally:
            connection.close()


class SandboxProcessor:
    """The processor. `hang_seconds`: how long a timeout-card session keeps the API waiting.

    `abandon_after_seconds`: a page left open that long is expired and its cardholder name
    and return URL purged (the processor's own setting, as a real processor's session
    lifetime is). The processor does it itself, at most every `purge_every_seconds`, as a
    session is created: no scheduler of the store is needed for it to forget."""

    def __init__(
        self,
        *,
        db_path: Path | str,
        secret: str,
        hang_seconds: float = 15.0,
        abandon_after_seconds: float = ABANDON_AFTER_SECONDS,
        purge_every_seconds: float = PURGE_EVERY_SECONDS,
        webhook: Webhook | None = None,
        deliver_in_background: bool = False,
        store_public_key: bytes | None = None,
        store_key_url: str = "",
        complete_redactions: bool = True,
    ):
        if not secret:
            raise ValueError("the sandbox processor needs a shared secret")
        self.store = SessionStore(db_path)
        self.secret = secret
        self.hang_seconds = hang_seconds
        self.abandon_after = timedelta(seconds=abandon_after_seconds)
        self.purge_every = purge_every_seconds
        self._next_purge = 0.0  # time.monotonic() of the next purge
        self.webhook = webhook
        self.deliver_in_background = deliver_in_background
        # The store's published Ed25519 key (PEM): what a redaction request must be signed by.
        # Without one, it is fetched once from `store_key_url`, where the store publishes it.
        self.store_public_key = store_public_key
        self.store_key_url = store_key_url
        self.complete_redactions = complete_redactions
        self._wake = threading.Event()
        self._deliverer: threading.Thread | None = None
        self._deliverer_lock = threading.Lock()
        self._page, self._form, self._done = (
            _template("pay.html"),
            _template("form.html"),
            _template("done.html"),
        )

    @property
    def webhook(self) -> Webhook | None:
        return self._webhook

    @webhook.setter
    def webhook(self, webhook: Webhook | None) -> None:
        """Events are queued only while there is somewhere to send them."""
        self._webhook = webhook
        self.store.notify = webhook is not None

    # --- webhooks ---------------------------------------------------------------------------

    def deliver_events(self, limit: int = 100) -> int:
        """Send the events due, oldest first; how many the store took. What the background
        deliverer runs, and what tests call to play the processor's delivery."""
        webhook = self._webhook
        if webhook is None:
            return 0
        taken = 0
        due = self.store.due_events(limit=limit, retry_in=timedelta(seconds=WEBHOOK_RETRY_SECONDS))
        for event in due:
            body = json.dumps(
                {
                    "id": event["event_id"],
                    "type": f"payment.{event['type']}",
                    "reference": event["reference"],
                    "created": event["created_at"],
                }
            ).encode()
            headers = {
                "Content-Type": "application/json",
                signing.WEBHOOK_HEADER: signing.sign_event(self.secret, body, int(time.time())),
            }
            try:
                status = webhook(body, headers)
            except Exception as exc:  # the store's failure is not the processor's
                logger.warning(
                    "sandbox webhook %s failed: %s", event["event_id"], type(exc).__name__
                )
                status = 0
            if 200 <= status < 300:
                self.store.delivered(event["event_id"])
                taken += 1
            else:
                logger.info("sandbox webhook %s not taken (%s)", event["event_id"], status)
        return taken

    def _changed(self) -> None:
        """A session changed: wake the background deliverer (started on first need, in this
        process: a forked server worker starts its own)."""
        if self._webhook is None or not self.deliver_in_background:
            return
        with self._deliverer_lock:
            if self._deliverer is None or not self._deliverer.is_alive():
                self._deliverer = threading.Thread(
                    target=self._deliver_forever, name="sandbox-webhooks", daemon=True
                )
                self._deliverer.start()
        self._wake.set()

    def _deliver_forever(self) -> None:
        while True:
            self._wake.wait(timeout=WEBHOOK_RETRY_SECONDS)
            self._wake.clear()
            try:
                self.deliver_events()
            except Exception as exc:
                logger.error("sandbox webhook delivery failed: %s", type(exc).__name__)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        try:
            status, headers, body = self._route(environ, method, path)
        except BadRequest as exc:
            status, headers, body = self._error(path, exc.status, exc.message)
        except Exception as exc:
            # Only the type: an exception message could quote request data (C2.3).
            logger.error("sandbox processor failed on %s %s: %s", method, path, type(exc).__name__)
            status, headers, body = self._error(path, 500, "The payment processor failed.")
        start_response(f"{status} {_STATUS_TEXT.get(int(status), '')}".strip(), headers)
        return [body]

    # --- routing ----------------------------------------------------------------------------

    def _route(self, environ: dict[str, Any], method: str, path: str) -> Response:
        if match := _PAY.fullmatch(path):
            if method == "GET":
                return self._show_page(environ, match[1])
            if method == "POST":
                return self._submit_card(environ, match[1])
            raise BadRequest("Use GET or POST on the payment page.", 405)
        if path.startswith("/api/"):
            self._authenticate(environ)
            if path.rstrip("/") == "/api/sessions":
                if method != "POST":
                    raise BadRequest("Create a session with POST.", 405)
                return self._create_session(environ)
            if path.rstrip("/") == "/api/redactions":
                if method != "POST":
                    raise BadRequest("Send a redaction request with POST.", 405)
                return self._redact(environ)
            if match := _REDACTION.fullmatch(path):
                if method != "GET":
                    raise BadRequest("That method is not allowed here.", 405)
                return self._redaction_status(match[1])
            if match := _SESSION.fullmatch(path):
                reference, action = match[1], (match[2] or "").strip("/")
                if method == "GET" and not action:
                    return self._session_status(reference)
                if method == "POST" and action == "capture":
                    return self._capture(reference)
                if method == "POST" and action == "refund":
                    return self._refund(environ, reference)
                if method == "POST" and action == "expire":
                    return self._expire(reference)
                if method == "POST" and action == "void":
                    return self._void(reference)
                raise BadRequest("That method is not allowed here.", 405)
        raise BadRequest("There is no such page at the payment processor.", 404)

    def _authenticate(self, environ: dict[str, Any]) -> None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not signing.api_key_matches(self.secret, token.strip()):
            raise BadRequest("A valid API key is required.", 401)

    # --- API --------------------------------------------------------------------------------

    def purge_abandoned(self) -> list[str]:
        """Expire and purge the sessions left open longer than `abandon_after`; their
        references."""
        expired = self.store.purge_abandoned(opened_before=datetime.now(UTC) - self.abandon_after)
        if expired:
            logger.info("sandbox processor purged %d abandoned sessions", len(expired))
            self._changed()
        return expired

    def _purge_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + self.purge_every
        self.purge_abandoned()

    def _create_session(self, environ: dict[str, Any]) -> Response:
        self._purge_if_due()
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
        if not _KEY.fullmatch(key):
            raise BadRequest("An Idempotency-Key header (1-100 letters, digits, _.:-) is required.")
        data = _json_body(environ)
        amount_cents = _cents(data.get("amount"))
        if data.get("currency") != "USD":
            raise BadRequest("Only USD payments are supported.")
        try:
            order_ref = str(uuid.UUID(str(data.get("order_ref"))))
        except ValueError:
            raise BadRequest("order_ref must be a UUID.") from None
        return_url = _return_url(data.get("return_url"))
        name_hint = data.get("cardholder_name")
        if name_hint is not None and (not isinstance(name_hint, str) or len(name_hint) > 100):
            raise BadRequest("cardholder_name must be text of at most 100 characters.")
        try:
            row, created = self.store.create(
                idempotency_key=key,
                order_ref=order_ref,
                amount_cents=amount_cents,
                currency="USD",
                return_url=return_url,
                name_hint=name_hint or None,
            )
        except StorageConflict as exc:
            raise BadRequest(str(exc), 409) from None
        if created:
            logger.info("sandbox session %s created", row["reference"])
        return self._json(201 if created else 200, self._public(environ, row))

    def _session_status(self, reference: str) -> Response:
        row = self._row(reference)
        if row["status"] == "timeout":
            # The issuer never answers for this card: keep the caller waiting, then give up.
            time.sleep(self.hang_seconds)
            raise BadRequest("The card issuer did not answer in time.", 504)
        return self._json(200, self._public({}, row))

    def _capture(self, reference: str) -> Response:
        self._row(reference)
        try:
            row = self.store.capture(reference)
        except StorageConflict as exc:
            raise BadRequest(str(exc), 409) from None
        logger.info("sandbox session %s captured", reference)
        self._changed()
        return self._json(200, self._public({}, row or {}))

    def _expire(self, reference: str) -> Response:
        self._row(reference)
        row = self.store.expire(reference)
        logger.info("sandbox session %s expire asked: %s", reference, (row or {}).get("status"))
        self._changed()
        return self._json(200, self._public({}, row or {}))

    def _void(self, reference: str) -> Response:
        self._row(reference)
        try:
            row = self.store.void(reference)
        except StorageConflict as exc:
            raise BadRequest(str(exc), 409) from None
        logger.info("sandbox session %s voided", reference)
        self._changed()
        return self._json(200, self._public({}, row or {}))

    def _refund(self, environ: dict[str, Any], reference: str) -> Response:
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
        if not _KEY.fullmatch(key):
            raise BadRequest("An Idempotency-Key header (1-100 letters, digits, _.:-) is required.")
        amount_cents = _cents(_json_body(environ).get("amount"))
        self._row(reference)
        try:
            row = self.store.refund(reference, amount_cents, key)
        except StorageConflict as exc:
            raise BadRequest(str(exc), 409) from None
        logger.info("sandbox session %s refunded", reference)
        self._changed()
        return self._json(200, self._public({}, row or {}))

    # --- redaction requests -----------------------------------------------------------------

    def finish_redactions(self) -> int:
        """The processor's privacy desk completes the requests it only received."""
        return self.store.complete_redactions()

    def _redact(self, environ: dict[str, Any]) -> Response:
        body = _read_body(environ)
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("The body must be a JSON object.") from None
        if not isinstance(data, dict):
            raise BadRequest("The body must be a JSON object.")
        self._check_store_signature(data, environ.get(REDACTION_HEADER, ""))
        if data.get("type") != "lookout-redaction-request":
            raise BadRequest("This is not a redaction request.")
        request_id, records = data.get("request"), data.get("records")
        if not isinstance(request_id, str) or not _KEY.fullmatch(request_id):
            raise BadRequest("A redaction request needs its id ('request').")
        if (
            not isinstance(records, list)
            or len(records) > MAX_REDACTION_RECORDS
            or not all(isinstance(r, str) and _REFERENCE.fullmatch(r) for r in records)
        ):
            raise BadRequest("'records' must list payment session references (ps_...).")
        if not isinstance(data.get("fields"), list):
            raise BadRequest("'fields' must list the fields to forget.")
        row = self.store.redact(
            request_id=request_id, references=records, complete=self.complete_redactions
        )
        logger.info("sandbox redaction %s %s", row["id"], row["status"])
        return self._json(200, _redaction(row))

    def _redaction_status(self, redaction_id: str) -> Response:
        row = self.store.redaction(redaction_id)
        if row is None:
            raise BadRequest("There is no redaction request with that id.", 404)
        return self._json(200, _redaction(row))

    def _check_store_signature(self, data: dict[str, Any], header: str) -> None:
        """The store's Ed25519 signature over the canonical JSON, with its published key."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        if not self.store_public_key and self.store_key_url:
            self.store_public_key = _fetch_key(self.store_key_url)
        if not self.store_public_key:
            raise BadRequest("The processor has no public key of the store to check with.", 401)
        key = load_pem_public_key(self.store_public_key)
        parts = dict(p.split("=", 1) for p in str(header).split(",") if "=" in p)
        signature = parts.get("ed25519", "")
        if not isinstance(key, Ed25519PublicKey) or not signature or len(signature) > 200:
            raise BadRequest("A redaction request must carry the store's signature.", 401)
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        try:
            raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
            key.verify(raw, canonical.encode())
        except (InvalidSignature, ValueError):
            raise BadRequest("The redaction request's signature does not match.", 401) from None

    def _row(self, reference: str) -> dict[str, Any]:
        row = self.store.get(reference)
        if row is None:
            raise BadRequest("There is no payment session with that reference.", 404)
        return row

    def _public(self, environ: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
        """What the store may learn: never a card number (the processor has none to give)."""
        return {
            "reference": row["reference"],
            "status": row["status"],
            "message": row["message"],
            "amount": _money(row["amount_cents"]),
            "currency": row["currency"],
            "order_ref": row["order_ref"],
            "token": row["token"],
            "brand": row["brand"],
            "last4": row["last4"],
            "exp_month": row["exp_month"],
            "exp_year": row["exp_year"],
            "authorized_amount": _money(row["authorized_cents"]),
            "captured_amount": _money(row["captured_cents"]),
            "refunded_amount": _money(row["refunded_cents"]),
            "pay_url": f"{environ.get('SCRIPT_NAME', '')}/pay/{row['reference']}",
        }

    # --- the hosted payment page ------------------------------------------------------------

    def _show_page(self, environ: dict[str, Any], reference: str) -> Response:
        row = self.store.get(reference)
        if row is None:
            raise BadRequest("This payment link is not valid; start again from the shop.", 404)
        return self._render(environ, row, status=200)

    def _submit_card(self, environ: dict[str, Any], reference: str) -> Response:
        row = self.store.get(reference)
        if row is None:
            raise BadRequest("This payment link is not valid; start again from the shop.", 404)
        if row["status"] != "open":
            return self._render(environ, row, status=409)
        form = _form_body(environ)
        if form.get("action") == "cancel":
            facts = None
        else:
            try:
                facts = read_card(
                    number=form.get("number", ""),
                    expiry=form.get("expiry", ""),
                    cvc=form.get("cvc", ""),
                    today=datetime.now(UTC).date(),
                )
            except CardError as exc:
                return self._render(environ, row, status=400, error=str(exc))
        # The number and CVC go out of scope here; only brand, last four and expiry remain.
        del form
        try:
            row = self.store.complete(reference, facts)
        except StorageConflict:
            return self._render(environ, self._row(reference), status=409)
        logger.info("sandbox session %s completed: %s", reference, row["status"])
        self._changed()
        return "303", [("Location", self._return_link(row)), *self._page_headers(row)], b""

    def _return_link(self, row: dict[str, Any]) -> str:
        separator = "&" if "?" in row["return_url"] else "?"
        signed = signing.sign_reference(self.secret, row["reference"])
        return f"{row['return_url']}{separator}ref={quote(signed, safe='')}"

    def _render(
        self, environ: dict[str, Any], row: dict[str, Any], *, status: int, error: str = ""
    ) -> Response:
        nonce = secrets.token_urlsafe(16)
        amount = _money(row["amount_cents"])
        if row["status"] == "open":
            body = self._form.substitute(
                error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
                action=html.escape(f"{environ.get('SCRIPT_NAME', '')}/pay/{row['reference']}"),
                name=html.escape(row["name_hint"] or ""),
                amount=amount,
            )
        else:
            # The return URL is kept only until the customer was sent back with it.
            back = (
                f'<p><a href="{html.escape(self._return_link(row))}">Return to the shop</a></p>'
                if row["return_url"]
                else "<p>You can close this page and go back to the shop.</p>"
            )
            body = self._done.substitute(status=html.escape(row["status"]), back=back)
        page = self._page.substitute(nonce=nonce, amount=amount, body=body)
        headers = [("Content-Type", "text/html; charset=utf-8"), *self._page_headers(row, nonce)]
        return str(status), headers, page.encode()

    def _page_headers(self, row: dict[str, Any], nonce: str = "") -> list[tuple[str, str]]:
        """Its own security headers: the store's middleware never wraps this app."""
        form_targets = "'self'"
        parts = urlsplit(row["return_url"])
        if parts.scheme and parts.netloc:
            # Browsers check form-action on the redirect back to the shop too.
            form_targets += f" {parts.scheme}://{parts.netloc}"
        style = f"'nonce-{nonce}'" if nonce else "'none'"
        return [
            (
                "Content-Security-Policy",
                f"default-src 'none'; style-src {style}; form-action {form_targets}; "
                "frame-ancestors 'none'; base-uri 'none'",
            ),
            ("Cache-Control", "no-store"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
        ]

    # --- answers ----------------------------------------------------------------------------

    def _json(self, status: int, data: dict[str, Any]) -> Response:
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        return str(status), headers, json.dumps(data).encode()

    def _error(self, path: str, status: int, message: str) -> Response:
        if path.startswith("/api/"):
            return self._json(status, {"error": message})
        page = self._page.substitute(
            nonce=(nonce := secrets.token_urlsafe(16)),
            amount="—",
            body=f'<p class="error" role="alert">{html.escape(message)}</p>',
        )
        headers = [("Content-Type", "text/html; charset=utf-8")]
        headers += self._page_headers({"return_url": ""}, nonce)
        return str(status), headers, page.encode()


def _fetch_key(url: str) -> bytes | None:
    """The store's published public key (PEM), or None when it cannot be had right now."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.netloc, timeout=10)
    try:
        connection.request("GET", parts.path or "/")
        answer = connection.getresponse()
        body = answer.read(8192)
        return body if answer.status == 200 and b"PUBLIC KEY" in body else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _redaction(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "request": row["request_id"],
        "status": row["status"],
        "sessions": row["sessions"],
        "received_at": row["received_at"],
        "completed_at": row["completed_at"],
    }


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("The Content-Length header is not a number.") from None
    if length > MAX_BODY:
        raise BadRequest("The request is too large.", 413)
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(_read_body(environ) or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def _form_body(environ: dict[str, Any]) -> dict[str, str]:
    try:
        text = _read_body(environ).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The form could not be read; please try again.") from None
    return {key: values[0] for key, values in parse_qs(text, max_num_fields=20).items()}


def _cents(value: Any) -> int:
    if not isinstance(value, str):
        raise BadRequest('amount must be a decimal string such as "12.34".')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise BadRequest('amount must be a decimal string such as "12.34".') from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise BadRequest("amount must have at most two decimal places.")
    if not Decimal("0") < amount <= MAX_AMOUNT:
        raise BadRequest(f"amount must be more than 0 and at most {MAX_AMOUNT}.")
    return int(amount * 100)


def _return_url(value: Any) -> str:
    """A path on the shop (`/...`) or an http(s) URL; never a scheme a browser would run."""
    if not isinstance(value, str) or not 1 <= len(value) <= 500:
        raise BadRequest("return_url must be a URL of at most 500 characters.")
    parts = urlsplit(value)
    relative = value.startswith("/") and not value.startswith("//") and not parts.netloc
    absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    if not (relative or absolute) or any(c in value for c in "\r\n\\ "):
        raise BadRequest("return_url must be a path on the shop or an http(s) URL.")
    return value
