"""An image without its metadata (Pillow): EXIF (GPS position, camera and phone model, serial
numbers, time), XMP, comments and text chunks are personal data and are not stored.

The picture is rotated upright first (EXIF orientation), since the orientation tag goes with
the rest. An unrotated JPEG keeps its quantisation tables (``quality="keep"``), so stripping
does not cost quality; a rotated one is re-encoded at quality 92. The colour profile stays.
"""

from __future__ import annotations

import asyncio
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

#: Larger pictures are refused rather than decoded (a decompression bomb).
MAX_PIXELS = 60_000_000


class UnreadableImage(ValueError):
    """The bytes claim to be an image and cannot be decoded as one."""


def without_metadata(data: bytes, content_type: str) -> bytes:
    """``data`` (image/jpeg or image/png) re-written with pixels and colour profile only."""
    fmt = {"image/jpeg": "JPEG", "image/png": "PNG"}[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            if image.width * image.height > MAX_PIXELS:
                raise UnreadableImage(f"the picture has more than {MAX_PIXELS} pixels")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise UnreadableImage(f"not a readable {fmt} image") from exc
    icc = image.info.get("icc_profile")
    rotated = image.getexif().get(0x0112, 1) not in (0, 1)  # the Orientation tag
    upright = ImageOps.exif_transpose(image) if rotated else image
    out = io.BytesIO()
    options: dict[str, object] = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if rotated:
            options.update(quality=92, optimize=True)
        else:
            options.update(quality="keep", subsampling="keep")
        clean = upright if rotated else image
        clean.info = {}  # nothing of the original's metadata rides along
        clean.save(out, "JPEG", **options)
    else:
        clean = upright
        clean.info = {}
        clean.save(out, "PNG", optimize=False, **options)
    return out.getvalue()


class ImageCleaner:
    """:func:`without_metadata` off the event loop: in worker threads (Pillow releases the GIL
    while it decodes and encodes), at most ``workers`` pictures at once; the others wait their
    turn, and health probes, other requests and consumers go on meanwhile."""

    def __init__(self, workers: int) -> None:
        self._slots = asyncio.Semaphore(workers)

    async def __call__(self, data: bytes, content_type: str) -> bytes:
        async with self._slots:
            return await asyncio.to_thread(without_metadata, data, content_type)
