"""How the store's gateway client reaches the processor's API.

`HttpTransport` speaks HTTP (urllib from the standard library) to the processor's base URL:
the normal path, also when the sandbox is mounted on the same server. `WsgiTransport` calls the
sandbox's WSGI application in-process, through the processor's real request handling (routing,
authentication, validation, storage) — for tests and tools where no HTTP server runs. Both
enforce a timeout: a processor that does not answer in time raises `TransportTimeout`.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TransportError(Exception):
    """The processor could not be reached, or did not answer with JSON."""


class TransportTimeout(TransportError):
    """The processor did not answer within the timeout."""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    data: dict[str, Any]


class Transport(Protocol):
    def request(
        self, method: str, path: str, *, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> ApiResponse: ...


def _decode(status: int, raw: bytes) -> ApiResponse:
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise TransportError(f"the processor answered {status} without JSON") from None
    if not isinstance(data, dict):
        raise TransportError(f"the processor answered {status} with unexpected JSON")
    return ApiResponse(status=status, data=data)


class HttpTransport:
    def __init__(self, base_url: str, *, timeout: float):
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError("the processor URL must start with http:// or https://")
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def request(
        self, method: str, path: str, *, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> ApiResponse:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return _decode(answer.status, answer.read())
        except urllib.error.HTTPError as exc:
            return _decode(exc.code, exc.read())
        except TimeoutError:
            raise TransportTimeout("the processor did not answer in time") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise TransportTimeout("the processor did not answer in time") from None
            raise TransportError(f"the processor cannot be reached: {exc.reason}") from None


def call_wsgi(
    app: WSGIApp,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    script_name: str = "",
) -> tuple[int, dict[str, str], bytes]:
    """One request to a WSGI app, as a server would make it: (status, headers, body)."""
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ[f"HTTP_{key}"] = value
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None):
        started["status"], started["headers"] = status, response_headers
        return lambda chunk: None

    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status = int(str(started["status"]).split(" ", 1)[0])
    return status, dict(started["headers"]), content


# In-process calls run on a small shared pool rather than a new thread each: starting a thread
# cost about a millisecond of a checkout under load (decision 0023). A call that
# hangs keeps its worker until it returns, as a thread of its own did; callers still stop
# waiting at their timeout, also when every worker is busy.
POOL_WORKERS = 16
_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=POOL_WORKERS, thread_name_prefix="payment-processor-call"
            )
        return _pool


def _forget_pool_in_child() -> None:
    """A forked child has none of the parent's worker threads: it starts its own pool."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)


class WsgiTransport:
    """In-process calls to the processor's WSGI app, on a worker thread so a timeout holds."""

    def __init__(self, app: WSGIApp, *, timeout: float, script_name: str = "/sandbox-processor"):
        self.app, self.timeout, self.script_name = app, timeout, script_name

    def request(
        self, method: str, path: str, *, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> ApiResponse:
        raw = json.dumps(body).encode() if body is not None else b""
        call = _executor().submit(
            call_wsgi,
            self.app,
            method,
            path,
            body=raw,
            headers={"Content-Type": "application/json", **headers},
            script_name=self.script_name,
        )
        try:
            answer = call.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError as exc:
            call.cancel()  # not started yet (every worker busy): it never will be
            raise TransportTimeout("the processor did not answer in time") from exc
        except Exception as exc:
            raise TransportError("the processor failed") from exc
        status, _, content = answer
        return _decode(status, content)
