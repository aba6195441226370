"""Intake's settings: the shared ones plus its own."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field

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
