"""Intake's settings: the shared ones plus its own."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field

from appeals_intake.adapters.object_store import LocalDiskStore, ObjectStore, S3Store
from appeals_intake.domain.places import ALMATY, DistrictMap, Places, bounding_box
from appeals_runtime.settings import CommaList, OptionalName, OptionalSecret, ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    registration_prefix: str = Field("OA", description="REGISTRATION_PREFIX of registration numbers")
    status_token_secret: OptionalSecret = Field(None, description="STATUS_TOKEN_SECRET: key of citizens' status "
                                                                 "tokens (required; changing it voids every token)")

    city_area: CommaList = Field([str(v) for v in (ALMATY.south, ALMATY.west, ALMATY.north, ALMATY.east)],
                                 description="CITY_AREA: south,west,north,east in degrees; a location outside it is refused")
    districts_geojson: OptionalName = Field(None, description="DISTRICTS_GEOJSON: path of the city's district boundaries "
                                            "(GeoJSON FeatureCollection, properties.code = district code). With it, a "
                                            "location outside every district is refused and a submission with a "
                                            "location but no district gets the district it lies in")

    open311_clients_file: OptionalName = Field(None, description="OPEN311_CLIENTS_FILE: Open311 clients and the "
                                               "SHA-256 of their api_keys (docs/open311.md); without it no key is "
                                               "accepted and only the read endpoints answer")
    open311_default_locale: str = Field("ru", pattern="^(kk|ru|en)$", description="OPEN311_DEFAULT_LOCALE: the "
                                        "locale of names and notes when a client asks for none (locale argument "
                                        "or Accept-Language)")

    attachments_store: str = Field("local", pattern="^(local|s3)$", description="ATTACHMENTS_STORE: local (a "
                                   "directory, the embedded default) or s3 (an S3-compatible object store)")
    attachments_dir: str = Field(".state/attachments", description="ATTACHMENTS_DIR: the directory of the local store")
    s3_endpoint_url: OptionalName = Field(None, description="S3_ENDPOINT_URL: the object store (default: AWS's)")
    s3_bucket: str = Field("appeals-attachments", description="S3_BUCKET: the bucket of attachments (it must exist)")
    s3_region: str = Field("us-east-1", description="S3_REGION")
    s3_access_key_id: OptionalName = Field(None, description="S3_ACCESS_KEY_ID (default: the SDK's credential chain)")
    s3_secret_access_key: OptionalSecret = Field(None, description="S3_SECRET_ACCESS_KEY")
    attachment_max_bytes: int = Field(10 * 1024 * 1024, ge=1, description="ATTACHMENT_MAX_BYTES: the largest file taken")
    attachment_quota_per_hour: int = Field(60, ge=1, description="ATTACHMENT_QUOTA_PER_HOUR: files one caller (a "
                                           "token's subject, an Open311 client) may upload in an hour; more is 429")
    attachment_orphan_ttl_s: float = Field(86400.0, gt=0, description="ATTACHMENT_ORPHAN_TTL_S: an uploaded file "
                                           "no submission named within this long is removed (row and bytes)")
    image_workers: int = Field(2, ge=1, description="IMAGE_WORKERS: pictures cleaned of metadata at once, in "
                                "worker threads off the event loop")
    open311_media_hosts: CommaList = Field([], description="OPEN311_MEDIA_HOSTS: hosts an Open311 media_url may point "
                                           "to; intake fetches the file from them and stores it as an attachment. "
                                           "Empty: media_url is refused (intake fetches from nowhere else)")
    media_fetch_timeout_s: float = Field(10.0, gt=0, description="MEDIA_FETCH_TIMEOUT_S: the longest a media_url fetch may take")

    verdict_window_days: int = Field(30, ge=1, description="VERDICT_WINDOW_DAYS: how long after the accepted answer "
                                     "the citizen may judge it; \"not resolved\" within it reopens the appeal")

    reappeal_period_days: int = Field(90, ge=1, description="REAPPEAL_PERIOD_DAYS: an appeal of the same citizen on "
                                      "the same category and place within this many days of an earlier one is "
                                      "recorded as its re-appeal")

    duplicate_window_days: int = Field(14, ge=1, description="DUPLICATE_WINDOW_DAYS: a new appeal is linked as a "
                                       "possible duplicate of an open appeal of its category registered within "
                                       "this many days, within the category's duplicate_radius_m")

    def registration(self) -> dict[str, Any]:
        """What every intake path hands ``handlers.submit_appeals``: numbering, tokens, linking."""
        return {"prefix": self.registration_prefix, "token_secret": self.token_secret(),
                "reappeal_period": timedelta(days=self.reappeal_period_days),
                "duplicate_window": timedelta(days=self.duplicate_window_days)}

    def object_store(self) -> ObjectStore:
        if self.attachments_store == "s3":
            return S3Store(bucket=self.s3_bucket, endpoint_url=self.s3_endpoint_url, region=self.s3_region,
                           access_key_id=self.s3_access_key_id,
                           secret_access_key=self.secret("s3_secret_access_key"))
        return LocalDiskStore(self.attachments_dir)

    def places(self, known_districts: frozenset[str]) -> Places:
        """The city's area and, when configured, its district boundaries; raises ValueError
        (naming the setting) when either is unusable, so a bad file stops the start."""
        try:
            area = bounding_box([float(v) for v in self.city_area])
        except ValueError as exc:
            raise ValueError(f"CITY_AREA: {exc}") from None
        if not self.districts_geojson:
            return Places(area)
        path = Path(self.districts_geojson)
        try:
            document = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"DISTRICTS_GEOJSON: cannot read {path}: {exc}") from None
        try:
            return Places(area, DistrictMap.from_geojson(document, known_districts))
        except ValueError as exc:
            raise ValueError(f"DISTRICTS_GEOJSON {path}: {exc}") from None

    def token_secret(self) -> bytes:
        secret = self.secret("status_token_secret")
        if not secret or len(secret) < 32:
            raise ValueError("STATUS_TOKEN_SECRET must be set to at least 32 characters")
        return secret.encode()
