"""The SSH family as the engine loads it: the anonymous probe of every host's `ssh` endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import Field

from p06audit.family import Family, Section
from p06audit.inventory import ENV_NAME_PATTERN, Host, HostCore, part


class SshSpec(Section):
    """SSH access. Credentials are references only: environment variable names or key-file paths."""

    port: int = Field(default=22, ge=1, le=65535)
    username: str | None = None
    username_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    password_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    key_file: Path | None = None
    key_passphrase_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)

    @property
    def has_credentials(self) -> bool:
        return bool((self.username or self.username_env) and (self.password_env or self.key_file))


class SshHost(Section):
    """A host's `ssh` section."""

    ssh: SshSpec | None = None


def ssh_of(host: Host) -> SshSpec | None:
    return host.part(SshHost).ssh


def has_ssh(host: Host) -> bool:
    return ssh_of(host) is not None


def has_ssh_credentials(host: Host) -> bool:
    spec = ssh_of(host)
    return spec is not None and spec.has_credentials


def declared_ssh(data: HostCore) -> Mapping[int, str]:
    spec = part(data, SshHost).ssh
    return {spec.port: "ssh"} if spec is not None else {}


FAMILY = Family(
    name="ssh",
    package="p06audit.checks.ssh",
    modules=("p06audit.checks.ssh.collect", "p06audit.checks.ssh.rules"),
    host_fields=SshHost,
    needs={"ssh": has_ssh, "ssh_credentials": has_ssh_credentials},
    declared_ports=declared_ssh,
    lab="p06audit.checks.ssh.lab",
)
