"""Structured logs that never carry personal data in plaintext.

Code must not log personal values in the first place (the vault hands out ciphertext wrappers
whose repr is masked). This filter is the safety net: it rewrites any email address, card-like
digit run or phone-like number that still reaches a log record, in the message, its arguments
and the formatted traceback.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Not inside a longer token (UUIDs and hashes have digit runs between hyphens and hex letters).
CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
PHONE = re.compile(r"\+\d[\d ().-]{6,}\d")
# Bearer tokens in URLs (cart links, signed order links): whoever holds one holds the cart.
URL_TOKEN = re.compile(r"((?:/cart/|[?&](?:cart|token|ref)=))[A-Za-z0-9_\-.:]{16,}")
IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b")


def mask_text(text: str) -> str:
    text = EMAIL.sub("[email]", text)
    text = CARD.sub("[number]", text)
    text = PHONE.sub("[phone]", text)
    text = URL_TOKEN.sub(r"\1[token]", text)
    return IPV4.sub(r"\1.0", text)


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must still be logged, masked
            message = str(record.msg)
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for production log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)
