"""Logging in to a host for authenticated checks, behind the host-key pin.

Order matters: credentials are resolved and the key file loaded before any connection (a broken
reference fails without touching the host); then the key exchange, restricted to the pinned key
types; then the pin store's verdict; and only for an unchanged key are credentials sent. Secrets
stay in `audit.secrets.Secret` wrappers until the one call that needs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paramiko

from audit.errors import AuditError
from audit.inventory import Host, Inventory, SshSpec
from audit.options import RunOptions
from audit.secrets import Secret, SecretError, env_secret, optional_env_secret
from checks.ssh.observations import PinState
from checks.ssh.pins import KnownHostsPins
from checks.ssh.transport import LoginTransport, algorithms_for, handshake, key_type_of, server_host_key


class HostKeyChanged(AuditError):
    """The host's key differs from its pin: no credential is sent."""


class LoginFailed(AuditError):
    """The host refused the configured credentials (the message never contains them)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    key_file: Path | None
    key_passphrase: Secret | None
    password: Secret | None


def resolve_credentials(spec: SshSpec, inventory: Inventory, host: str) -> Credentials:
    purpose = f"SSH login to {host}"
    if spec.username:
        username = spec.username
    elif spec.username_env:
        username = env_secret(spec.username_env, purpose + " (user name)").reveal()
    else:
        raise SecretError(f"{purpose}: the inventory names no username or username_env")
    return Credentials(
        username=username,
        key_file=inventory.resolve(spec.key_file),
        key_passphrase=optional_env_secret(spec.key_passphrase_env, purpose + " (key passphrase)"),
        password=optional_env_secret(spec.password_env, purpose + " (password)"),
    )


def load_key(credentials: Credentials) -> paramiko.PKey | None:
    path = credentials.key_file
    if path is None:
        return None
    passphrase = credentials.key_passphrase.reveal() if credentials.key_passphrase else None
    try:
        return paramiko.PKey.from_path(path, passphrase)
    except FileNotFoundError:
        raise SecretError(f"SSH key file {path} does not exist") from None
    except PermissionError:
        raise SecretError(f"SSH key file {path} is not readable by the audit") from None
    except paramiko.PasswordRequiredException:
        raise SecretError(
            f"SSH key file {path} is encrypted: name its passphrase with key_passphrase_env"
        ) from None
    except (paramiko.SSHException, ValueError, TypeError):
        why = "a wrong passphrase" if passphrase else "encrypted? name its passphrase with key_passphrase_env"
        raise SecretError(f"SSH key file {path} could not be loaded ({why}; or not a private key)") from None


def _authenticate(
    transport: paramiko.Transport, credentials: Credentials, key: paramiko.PKey | None, label: str
) -> None:
    refused: list[str] = []
    if key is not None:
        try:
            transport.auth_publickey(credentials.username, key)
        except paramiko.BadAuthenticationType as exc:
            refused.append(f"public keys not accepted (server allows: {', '.join(exc.allowed_types)})")
        except paramiko.AuthenticationException:
            refused.append("key rejected")
    if not transport.is_authenticated() and credentials.password is not None:
        try:
            transport.auth_password(credentials.username, credentials.password.reveal())
        except paramiko.BadAuthenticationType as exc:
            refused.append(f"passwords not accepted (server allows: {', '.join(exc.allowed_types)})")
        except paramiko.AuthenticationException:
            refused.append("password rejected")
    if not transport.is_authenticated():
        why = "; ".join(refused) or "further authentication required"
        raise LoginFailed(f"login to {label} failed: {why}")


@contextmanager
def login(host: Host, options: RunOptions, inventory: Inventory) -> Iterator[paramiko.Transport]:
    """An authenticated transport to `host`, or a typed error naming the host (never the secret)."""
    spec = host.data.ssh
    if spec is None:
        raise LoginFailed(f"host {host.name} has no ssh section")
    label = f"{host.name} ({host.address}:{spec.port})"
    credentials = resolve_credentials(spec, inventory, host.name)
    key = load_key(credentials)
    store = KnownHostsPins.in_state_dir(options.state_dir)
    pinned = {p.key_type for p in store.pinned(host.address, spec.port)}
    algorithms = tuple(a for t in sorted(pinned) for a in algorithms_for(t, legacy=False)) or None
    connected = handshake(LoginTransport, host.address, spec.port, options.timeout, algorithms)
    if connected.error is not None:
        offer = connected.offer
        offered = {key_type_of(a) for a in offer.host_key_algorithms} if offer else set()
        if pinned and offer is not None and not pinned & offered:
            raise HostKeyChanged(
                f"{label} no longer offers its pinned key type(s) {', '.join(sorted(pinned))}; "
                "no credential was sent"
            )
        raise LoginFailed(f"no secure SSH session with {label}: {connected.error}")
    try:
        check = store.verify(
            host.address, spec.port, [server_host_key(connected.transport)], options.now.isoformat()
        )
        if check.state is PinState.CHANGED:
            raise HostKeyChanged(
                f"host key of {label} differs from the pinned key in {check.store}; no credential was sent"
            )
        _authenticate(connected.transport, credentials, key, label)
        yield connected.transport
    finally:
        connected.close()
