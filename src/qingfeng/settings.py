"""Settings for one workspace, read from its qingfeng.toml and QINGFENG_* environment variables.

Nothing here runs at import time: callers build a Settings with `load_settings(workspace)`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SETTINGS_FILE = "qingfeng.toml"


class SparkSettings(BaseModel):
    """The `[spark]` table: the master and the resources asked of it."""

    master: str = Field(
        default="local[2]",
        description="local[N], spark://host:port (standalone), sc://host:port (Spark Connect), "
        "yarn or k8s://https://host:port.",
    )
    app_name: str = Field(default="qingfeng", description="The application name the master shows.")
    driver_memory: str = Field(default="1g", description="Memory of the driver (this process).")
    executor_memory: str | None = Field(default=None, description="Memory of each executor.")
    executor_cores: int | None = Field(default=None, ge=1, description="Cores of each executor.")
    cores_max: int | None = Field(
        default=None, ge=1, description="Cores of all executors together (standalone master)."
    )
    shuffle_partitions: int = Field(
        default=4, ge=1, description="Partitions after a shuffle: about 2-3 per executor core."
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="Further Spark settings, passed as they are."
    )

    @field_validator("master")
    @classmethod
    def _known_master(cls, value: str) -> str:
        value = value.strip()
        prefixes = ("local", "spark://", "sc://", "yarn", "k8s://", "mesos://")
        if not value.startswith(prefixes):
            raise ValueError(
                f"[spark] master {value!r} is not a Spark master: use local[N], "
                "spark://host:port, sc://host:port, yarn or k8s://..."
            )
        return value

    @property
    def is_connect(self) -> bool:
        return self.master.startswith("sc://")


class Settings(BaseSettings):
    """Everything a command or the web app needs to know about its workspace."""

    model_config = SettingsConfigDict(env_prefix="QINGFENG_", extra="ignore")

    workspace: Path = Field(description="The workspace folder (settings, sources, models, lake).")
    store_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the workflow store; default: SQLite file in the workspace.",
    )
    lake_url: str | None = Field(
        default=None,
        description="Where the lake lives: a folder (a shared mount the workers see) or "
        "s3://bucket/prefix?endpoint_override=… for S3-compatible object storage; default: "
        "lake/ in the workspace (docs/deployment.md).",
    )
    secret_key: str = Field(
        default="",
        description="Signs session cookies. `qingfeng init` writes a random one.",
    )
    language: str = Field(default="zh", description="UI language: zh (default) or en.")
    timezone: str = Field(
        default="Asia/Shanghai",
        description="Time zone every page, export, letter and the public portal show times in "
        "(IANA name); times are stored in UTC.",
    )
    host: str = Field(default="127.0.0.1", description="Address `qingfeng serve` listens on.")
    port: int = Field(default=8000, description="Port `qingfeng serve` listens on.")
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Web worker processes `qingfeng serve` starts; they share state through the "
        "store (use PostgreSQL when workers run on several hosts).",
    )
    cookie_secure: bool = Field(
        default=False,
        description="Send the session cookie over HTTPS only; set true when served behind TLS.",
    )
    county_division_code: str = Field(
        default="",
        description="Six-digit division code of the county this workspace supervises.",
    )
    session_idle_minutes: float = Field(
        default=60,
        gt=0,
        description="A back-office session unused this long ends (sign in again).",
    )
    session_absolute_hours: float = Field(
        default=10,
        gt=0,
        description="A back-office session ends this long after sign-in, however busy.",
    )
    audit_key: str = Field(
        default="",
        description="Keys the audit log (HMAC of every row and of its checkpoints). Kept here or "
        "in QINGFENG_AUDIT_KEY, never in the store; `qingfeng init` writes a random one.",
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="Where signed checkpoints of the audit chain's head are appended; default "
        "<workspace>/audit-checkpoints.jsonl. Put it on storage the store's users cannot write.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is "
        "believed; the client is the right-most address not among them. Empty: the socket peer.",
    )
    model_profile: str = Field(
        default="national",
        description="Parameter profile (参数方案) the models run with: `national` (the national "
        "defaults) or a profile in <workspace>/profiles/<id>.yaml.",
    )
    model_overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Single parameter values over the profile, as [model_overrides.<model_id>] "
        "tables of qingfeng.toml.",
    )
    metrics_token: str = Field(
        default="",
        description="Bearer token Prometheus sends to /metrics; empty: /metrics is off.",
    )
    xlsx_max_uncompressed_mb: float = Field(
        default=512,
        gt=0,
        description="An Excel upload whose parts would unpack to more than this is refused.",
    )
    xlsx_max_rows: int = Field(
        default=2_000_000,
        gt=0,
        description="An Excel sheet declaring more rows than this is refused before reading.",
    )

    spark: SparkSettings = Field(
        default_factory=SparkSettings,
        description="Where Spark work runs (`[spark]` in qingfeng.toml; docs/deployment.md).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from qingfeng.localtime import zone

        zone(value)  # raises naming the setting and the value
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments win, then the environment, then the workspace's own file.
        toml_file = _toml_path_from(init_settings)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None and toml_file.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    # Workspace layout. Every station finds its folder through these, never by string paths.
    @property
    def sources_dir(self) -> Path:
        return self.workspace / "sources"

    @property
    def mappings_dir(self) -> Path:
        return self.workspace / "sources" / "mappings"

    @property
    def models_dir(self) -> Path:
        return self.workspace / "models"

    @property
    def lake_dir(self) -> Path:
        """The lake's folder; for a lake on object storage (`lake_url = "s3://…"`), the local
        folder of its staging and writers' lock."""
        url = (self.lake_url or "").strip()
        if url and "://" not in url:
            return Path(url).expanduser()
        if url.startswith("file://"):
            return Path(url[len("file://") :]).expanduser()
        return self.workspace / "lake"

    @property
    def attachments_dir(self) -> Path:
        return self.workspace / "attachments"

    @property
    def reports_dir(self) -> Path:
        return self.workspace / "reports"

    @property
    def checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.workspace / "audit-checkpoints.jsonl"

    def model_post_init(self, __context: object) -> None:
        # The audit writers find the key by the store they write to (qingfeng.audit.keys);
        # the settings read last for a store decide, so a key removed from the file is gone.
        from qingfeng.audit.keys import register_key

        register_key(self.database_url, self.audit_key)

    @property
    def database_url(self) -> str:
        """The workflow store URL, defaulting to a SQLite file inside the workspace."""
        if self.store_url:
            return self.store_url
        return f"sqlite:///{(self.workspace / 'qingfeng.db').resolve()}"


def _toml_path_from(init_settings: PydanticBaseSettingsSource) -> Path | None:
    values = init_settings()
    workspace = values.get("workspace")
    if workspace is None:
        return None
    return Path(workspace) / SETTINGS_FILE


def load_settings(workspace: Path, **overrides: object) -> Settings:
    """Settings for the workspace folder, with explicit overrides taking precedence."""
    return Settings(workspace=Path(workspace).resolve(), **overrides)  # type: ignore[arg-type]


def new_secret_key() -> str:
    return secrets.token_urlsafe(32)
