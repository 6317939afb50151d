"""Keep credentials out of log records, botocore's DEBUG dumps of signed requests included.

Every connection registers its secret key and session token here; a filter on the loggers
that print requests replaces them with ``***`` before any handler sees the record.
"""

from __future__ import annotations

import logging
import threading

__all__ = ["register_secrets"]

# botocore and urllib3 loggers that may print signed requests or their canonical form
_LOGGERS = ("botocore.auth", "botocore.endpoint", "botocore.hooks", "botocore.httpsession",
            "botocore.parsers", "botocore.retryhandler", "botocore.awsrequest",
            "botocore.credentials", "urllib3.connectionpool", "dynamorm_lab")
_secrets: set[str] = set()
_lock = threading.Lock()


class _Redactor(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in _secrets:
            if secret in redacted:
                redacted = redacted.replace(secret, "***")
        if redacted is not message and redacted != message:
            record.msg, record.args = redacted, None
        return True


_FILTER = _Redactor()


def register_secrets(*secrets: str | None) -> None:
    """Redact these values (a secret key, a session token) from the request loggers."""
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 8)
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
