"""Logging set-up: one line per record, with the service name. Log ids and codes only,
never payloads or contact details."""

from __future__ import annotations

import logging


def setup_logging(service_name: str, level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)s {service_name} %(name)s: %(message)s",
        force=True,
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # httpx logs every request's URL at INFO: a citizen's status token travels in one
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
