"""Service settings, read from the environment (prefix ``STUFENLOS_``) by pydantic-settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from graphs import settings as graph_settings


class Settings(BaseSettings):
    """Everything the service can be configured with (``STUFENLOS_GRAPH_DIR=…`` etc.)."""

    model_config = SettingsConfigDict(env_prefix="STUFENLOS_", extra="ignore")

    graph_dir: Path = Field(default_factory=graph_settings.default_graph_dir)
    max_snap_m: float = Field(250.0, gt=0, le=5000, description="snap radius in metres")
    max_body_bytes: int = Field(64 * 1024, gt=0, description="largest accepted request body")
    max_via_points: int = Field(10, ge=0, le=100)
    max_alternatives: int = Field(3, ge=0, le=5)
    cors_origins: list[str] = Field(default_factory=list)
    gzip_min_bytes: int = Field(1024, ge=0)
