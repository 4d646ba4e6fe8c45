"""Resource ids in requests: one parse with one INVALID_ARGUMENT shape for every service."""

from __future__ import annotations

import logging
import uuid

from trademaster.service.errors import InvalidArgument

_LOGGER = logging.getLogger(__name__)


def parse_uuid(value: str, field: str) -> uuid.UUID:
    """``value`` as a UUID; ``InvalidArgument`` (reason ``INVALID_ID``) naming ``field`` if not."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(
            f"{field} must be a UUID, was {value!r}",
            [(field, f"must be a UUID, was {value!r}")],
            reason="INVALID_ID",
        ) from None
