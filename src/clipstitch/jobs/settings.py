"""Settings of the job service: CLIPSTITCH_* variables and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_FILE_VARIABLE = "CLIPSTITCH_CONFIG"

CommaList = Annotated[list[str], NoDecode]


class ServiceSettings(BaseSettings):
    """Everything `clipstitch serve` can be told; each field is CLIPSTITCH_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="CLIPSTITCH_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("clipstitch-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in data_dir."
    )
    api_keys: CommaList = Field(
        default_factory=list, description="Accepted bearer tokens; empty: no auth."
    )

    storage_url: str | None = Field(
        default=None, description="s3://bucket/prefix; default: data_dir/outputs."
    )
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    presign_seconds: int = Field(default=3600, ge=1)

    max_memory: int | None = Field(
        default=None, description="Bytes for all running jobs together."
    )
    workers: int | None = Field(
        default=None, ge=1, description="Steps run at once; default: CPU count."
    )
    lease_seconds: float = Field(default=15.0, gt=0)
    step_attempts: int = Field(default=3, ge=1)
    job_deadline_seconds: float = Field(default=3600.0, gt=0)
    segment_cache_seconds: float = Field(default=3600.0, ge=0)
    segment_cache_bytes: int = Field(
        default=10 * 1024**3,
        ge=0,
        description="Disk that segments no running job needs may hold together.",
    )
    poll_seconds: float = Field(default=0.2, gt=0)

    outbound_allow: CommaList = Field(
        default_factory=list,
        description="Hosts, IPs, networks (CIDR), optionally :port, always reachable.",
    )
    max_download_bytes: int = Field(default=2 * 1024**3, gt=0)
    download_timeout: float = Field(default=30.0, gt=0)
    local_source_roots: CommaList = Field(
        default_factory=list, description="Folders a clip may name as a local path."
    )

    callback_secret: SecretStr | None = Field(
        default=None, description="HMAC key; default: a random one kept in data_dir."
    )
    callback_attempts: int = Field(default=8, ge=1)
    callback_backoff_seconds: float = Field(default=1.0, gt=0)
    callback_timeout: float = Field(default=10.0, gt=0)

    @field_validator("api_keys", "outbound_allow", "local_source_roots", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_VARIABLE)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, Path(config_file)))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, SQLite inside data_dir unless one was given."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'jobs.db'}"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def segment_dir(self) -> Path:
        return self.data_dir / "segments"
