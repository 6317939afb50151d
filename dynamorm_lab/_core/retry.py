"""How long to wait before sending unprocessed batch items and keys again."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..errors import ValidationError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter for unprocessed items and keys.

    Attempt ``n`` (from 0) waits a random time between 0 and
    ``min(max_delay, base_delay * 2**n)`` seconds.
    """

    attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValidationError("RetryPolicy needs attempts >= 1 and non-negative delays")

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
