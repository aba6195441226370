"""Fetching an Open311 ``media_url`` (aiohttp): only from the hosts the city allows
(``OPEN311_MEDIA_HOSTS``), without following redirects, within a size and a time limit, so
a request cannot make intake reach into the city's own network or wait on a slow server."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

import aiohttp


class MediaRefused(Exception):
    """The media cannot be taken; the message says why without repeating the URL."""


async def fetch(url: str, *, hosts: Collection[str], max_bytes: int, timeout_s: float) -> tuple[bytes, str]:
    """(bytes, content type) of ``url``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MediaRefused("must be an http or https URL")
    if parts.hostname.lower() not in {h.strip().lower() for h in hosts if h.strip()}:
        raise MediaRefused("its host is not one the city takes media from")
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(url.strip(), allow_redirects=False) as response:
            if response.status != 200:
                raise MediaRefused(f"the server answered {response.status}")
            declared = response.content_length
            if declared is not None and declared > max_bytes:
                raise MediaRefused(f"larger than {max_bytes} bytes")
            data = await response.content.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise MediaRefused(f"larger than {max_bytes} bytes")
            return data, response.headers.get("content-type", "application/octet-stream")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise MediaRefused(f"could not be fetched ({type(exc).__name__})") from None
