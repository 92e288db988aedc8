"""The shopper's side of the sandbox processor's hosted page, played in process: type a test card
into `/pay/<reference>` and submit it. Shared by the demo (which pays its orders as a shopper
would) and the tests; the card goes only to the processor's own WSGI app (C2.3)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit


def future_expiry(today: date | None = None) -> str:
    """An expiry date five years from `today` (MM/YY): a fixed year would make every test card
    expired, and every payment refused, once that year is past."""
    today = today or date.today()
    return f"12/{(today.year + 5) % 100:02d}"


def submit_test_card(pay_url: str, *, card: str, host: str = "localhost") -> tuple[str, str]:
    """The processor's status line and its Location (empty when it answered with a page, e.g. a
    page already closed)."""
    from sandbox_processor.config import default_processor

    path = urlsplit(pay_url).path
    path = path[path.index("/pay/") :]
    body = urlencode({"number": card, "expiry": future_expiry(), "cvc": "123", "action": "pay"})
    data = body.encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "/sandbox-processor",
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_HOST": host,
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    b"".join(default_processor()(environ, start_response))
    return str(answer["status"]), str(answer["headers"].get("Location", ""))
