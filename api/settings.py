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
    max_matrix_cells: int = Field(10_000, ge=1, description="largest POST /matrix (cells)")
    cors_origins: list[str] = Field(default_factory=list)
    gzip_min_bytes: int = Field(1024, ge=0)
    gzip_level: int = Field(4, ge=1, le=9, description="1 fastest … 9 smallest")
    # --- obstacles and citizen reports (api/obstacles, api/routes/{obstacles,reports}.py)
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///<cache_dir>/stufenlos.db"
    )
    max_import_bytes: int = Field(8 * 1024 * 1024, gt=0, description="POST /obstacles/import")
    max_report_bytes: int = Field(8 * 1024, gt=0, description="largest citizen report body")
    reports_per_minute: int = Field(5, ge=1, description="citizen reports per client IP")
    obstacle_tolerance_m: float = Field(5.0, gt=0, le=100, description="matching tolerance")
    obstacle_poll_s: float = Field(
        0.05, ge=0, le=60, description="how often a worker checks the DB for others' writes"
    )
    obstacles_attribution: str = Field(
        "Obstacles: Stadt Kaiserslautern", description="credit on GET /obstacles/active"
    )
