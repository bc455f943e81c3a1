"""Where the SMTP digest goes: `notify.yaml` beside the inventory, or a file named on the command line.

Validated like the inventory (errors name file:line and field). The SMTP password is never in the
file: `password_env` names the environment variable that holds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from p06audit.errors import ConfigFileError
from p06audit.inventory import ENV_NAME_PATTERN
from p06audit.yamlfile import read_yaml, validate_node

CONFIG_FILE = "notify.yaml"
# A bare address: display names and lists are refused so nothing can be smuggled into headers.
Address = Annotated[str, StringConstraints(pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")]
# Checks whose WARN means "a certificate has entered its expiry warning window" carry this tag in
# their family's checks.yaml; `certificate_checks` in notify.yaml may name others instead.
CERTIFICATE_EXPIRY_TAG = "certificate_expiry"

_MODEL = ConfigDict(extra="forbid", frozen=True)


class SmtpSettings(BaseModel):
    model_config = _MODEL
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    ca_file: Path | None = None
    timeout: float = Field(default=20.0, gt=0)

    @model_validator(mode="after")
    def _credentials_need_tls(self) -> SmtpSettings:
        if bool(self.username) != bool(self.password_env):
            raise ValueError("username and password_env must be given together")
        if self.password_env and not self.starttls:
            raise ValueError(
                "password_env needs starttls: true, or the password would cross the network in clear"
            )
        return self


class NotifyConfig(BaseModel):
    """Who receives the digest and what it lists; `language` defaults to the report language."""

    model_config = _MODEL
    smtp: SmtpSettings
    sender: Address
    recipients: tuple[Address, ...] = Field(min_length=1)
    language: Literal["vi", "en"] | None = None
    send_empty: bool = False
    certificate_checks: tuple[str, ...] | None = None
    max_items: int = Field(default=50, ge=1)


def load_notify_config(path: Path) -> NotifyConfig:
    """Read and validate a notify file; a relative `ca_file` is relative to the file's directory."""
    config = validate_node(NotifyConfig, path, read_yaml(path), ("notify",))
    ca_file = config.smtp.ca_file
    if ca_file is not None and not ca_file.is_absolute():
        smtp = config.smtp.model_copy(update={"ca_file": (path.parent / ca_file).resolve()})
        config = config.model_copy(update={"smtp": smtp})
    return config


def find_notify_config(inventory_dir: Path, explicit: Path | None = None) -> NotifyConfig | None:
    """The explicit file if given (it must exist), else `notify.yaml` in the inventory, else None."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigFileError(str(explicit), None, None, "notification file is missing")
        return load_notify_config(explicit)
    default = inventory_dir / CONFIG_FILE
    return load_notify_config(default) if default.is_file() else None
