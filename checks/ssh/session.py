"""Logging in to a host for authenticated checks, behind the host-key pin.

Order matters: credentials are resolved and the key file loaded before any connection (a broken
reference fails without touching the host); then the key exchange, restricted to the pinned key
types; then the pin store's verdict; and only for an unchanged key are credentials sent. Secrets
stay in `audit.secrets.Secret` wrappers until the one call that needs them.

The login serves the host family, but its words are this family's (checks/ssh/checks.yaml), so
`login` makes sure they are loaded even in a run that audits only the host family.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paramiko

from p06audit.checks.ssh.family import FAMILY, SshSpec, ssh_of
from p06audit.checks.ssh.observations import PinState
from p06audit.checks.ssh.pins import KnownHostsPins
from p06audit.checks.ssh.transport import (
    LoginTransport,
    algorithms_for,
    handshake,
    key_type_of,
    server_host_key,
)
from p06audit.errors import AuditError
from p06audit.inventory import Host, Inventory
from p06audit.options import RunOptions
from p06audit.registry import REGISTRY
from p06audit.secrets import Secret, SecretError, env_secret
from p06audit.text import Message, say


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


def _env(name: str, host: str, what: Message) -> Secret:
    """The secret in environment variable `name`, or an error naming the host, its use and the variable."""
    try:
        return env_secret(name, host)
    except SecretError:
        raise SecretError(say("ssh.env_not_set", host=host, what=what, variable=name)) from None


def resolve_credentials(spec: SshSpec, inventory: Inventory, host: str) -> Credentials:
    if spec.username:
        username = spec.username
    elif spec.username_env:
        username = _env(spec.username_env, host, say("ssh.secret_username")).reveal()
    else:
        raise SecretError(say("ssh.no_username", host=host))
    passphrase_env, password_env = spec.key_passphrase_env, spec.password_env
    return Credentials(
        username=username,
        key_file=inventory.resolve(spec.key_file),
        key_passphrase=_env(passphrase_env, host, say("ssh.secret_passphrase")) if passphrase_env else None,
        password=_env(password_env, host, say("ssh.secret_password")) if password_env else None,
    )


def load_key(credentials: Credentials) -> paramiko.PKey | None:
    path = credentials.key_file
    if path is None:
        return None
    passphrase = credentials.key_passphrase.reveal() if credentials.key_passphrase else None
    try:
        return paramiko.PKey.from_path(path, passphrase)
    except FileNotFoundError:
        raise SecretError(say("ssh.key_file_missing", path=str(path))) from None
    except PermissionError:
        raise SecretError(say("ssh.key_file_unreadable", path=str(path))) from None
    except paramiko.PasswordRequiredException:
        raise SecretError(say("ssh.key_file_encrypted", path=str(path))) from None
    except (paramiko.SSHException, ValueError, TypeError):
        why = "ssh.key_file_wrong_passphrase" if passphrase else "ssh.key_file_unloadable"
        raise SecretError(say(why, path=str(path))) from None


def _authenticate(
    transport: paramiko.Transport, credentials: Credentials, key: paramiko.PKey | None, endpoint: Message
) -> None:
    refused: list[Message] = []
    if key is not None:
        try:
            transport.auth_publickey(credentials.username, key)
        except paramiko.BadAuthenticationType as exc:
            refused.append(say("ssh.publickey_not_accepted", methods=list(exc.allowed_types)))
        except paramiko.AuthenticationException:
            refused.append(say("ssh.key_rejected"))
    if not transport.is_authenticated() and credentials.password is not None:
        try:
            transport.auth_password(credentials.username, credentials.password.reveal())
        except paramiko.BadAuthenticationType as exc:
            refused.append(say("ssh.password_not_accepted", methods=list(exc.allowed_types)))
        except paramiko.AuthenticationException:
            refused.append(say("ssh.password_rejected"))
    if not transport.is_authenticated():
        why = refused or say("ssh.further_auth")
        raise LoginFailed(say("ssh.login_failed", endpoint=endpoint, why=why))


@contextmanager
def login(host: Host, options: RunOptions, inventory: Inventory) -> Iterator[paramiko.Transport]:
    """An authenticated transport to `host`, or a typed error naming the host (never the secret)."""
    REGISTRY.family_text(FAMILY.name)
    spec = ssh_of(host)
    if spec is None:
        raise LoginFailed(say("ssh.no_ssh_section", host=host.name))
    endpoint = say("ssh.endpoint", host=host.name, address=host.address, port=spec.port)
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
            raise HostKeyChanged(say("ssh.pinned_type_gone", endpoint=endpoint, types=sorted(pinned)))
        raise LoginFailed(say("ssh.no_secure_session", endpoint=endpoint, error=connected.error))
    try:
        check = store.verify(
            host.address, spec.port, [server_host_key(connected.transport)], options.now.isoformat()
        )
        if check.state is PinState.CHANGED:
            raise HostKeyChanged(say("ssh.host_key_differs", endpoint=endpoint, store=check.store))
        _authenticate(connected.transport, credentials, key, endpoint)
        yield connected.transport
    finally:
        connected.close()
