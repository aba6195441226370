"""Where attachments' bytes live: an object store through the S3 API (aiobotocore: MinIO,
Ceph, AWS S3, the city's own), or, on the embedded default, a directory on local disk behind
the same three calls. Keys are ``attachments/<attachment id>``; nothing personal is in a key."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import ClientError


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None: ...


class LocalDiskStore:
    """Files under ``root``, written atomically (a temporary file renamed into place)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("an object key must stay inside the store")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


class S3Store:
    """One bucket of an S3-compatible store. A client per call: attachments are not a hot path."""

    def __init__(self, *, bucket: str, endpoint_url: str | None, region: str, access_key_id: str | None,
                 secret_access_key: str | None) -> None:
        self.bucket = bucket
        self._options = {"endpoint_url": endpoint_url, "region_name": region, "aws_access_key_id": access_key_id,
                         "aws_secret_access_key": secret_access_key,
                         "config": Config(retries={"max_attempts": 3, "mode": "standard"},
                                          connect_timeout=5, read_timeout=30)}

    def _client(self):  # noqa: ANN202 - aiobotocore's client context
        return get_session().create_client("s3", **self._options)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        async with self._client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    async def get(self, key: str) -> bytes | None:
        async with self._client() as s3:
            try:
                response = await s3.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            async with response["Body"] as body:
                return await body.read()

    async def delete(self, key: str) -> None:
        async with self._client() as s3:  # S3 answers 204 whether or not the key was there
            await s3.delete_object(Bucket=self.bucket, Key=key)
