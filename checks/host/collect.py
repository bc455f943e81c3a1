"""The authenticated collector: one nornir task per host with SSH credentials.

It logs in through `checks.ssh.session.login` (pinned host key first, credentials only after) and
runs, each in its own exec channel, the fixed probes (commands.py) that the selected checks need.
"""

from __future__ import annotations

import time

import paramiko

from p06audit.checks.host.commands import PROBES, Probe
from p06audit.checks.host.observations import CommandResult, HostFacts
from p06audit.checks.ssh.collect import describe_connect_error
from p06audit.checks.ssh.family import ssh_of
from p06audit.checks.ssh.session import login
from p06audit.errors import AuditError
from p06audit.inventory import Host
from p06audit.model import CollectionFailed, Observation
from p06audit.registry import CollectContext, collects, describe_error
from p06audit.runner import host_target
from p06audit.text import Message, say

OUTPUT_LIMIT = 512 * 1024
# Package-manager simulations read large indexes; they get this many timeouts.
SLOW_FACTOR = 3
POLL = 0.01


def _keep(buffer: bytearray, chunk: bytes) -> bool:
    """Append within OUTPUT_LIMIT; True if something had to be dropped."""
    room = OUTPUT_LIMIT - len(buffer)
    buffer += chunk[: max(room, 0)]
    return len(chunk) > room


def run_probe(transport: paramiko.Transport, probe: Probe, timeout: float) -> CommandResult:
    """Run one probe; output beyond OUTPUT_LIMIT is read and dropped so the host never blocks."""
    channel = transport.open_session(timeout=timeout)
    out, err = bytearray(), bytearray()
    truncated = False
    status: int | None = None
    try:
        channel.exec_command(probe.command)
        deadline = time.monotonic() + timeout * (SLOW_FACTOR if probe.slow else 1)
        while time.monotonic() < deadline:
            finished = channel.exit_status_ready()
            while channel.recv_ready():
                truncated |= _keep(out, channel.recv(65536))
            while channel.recv_stderr_ready():
                truncated |= _keep(err, channel.recv_stderr(65536))
            if finished:
                status = channel.recv_exit_status()
                break
            time.sleep(POLL)
    finally:
        channel.close()
    return CommandResult(
        probe.name, status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), truncated
    )


@collects(HostFacts, per_host=True)
def collect_host(host: Host, ctx: CollectContext) -> list[Observation]:
    """Every probe the selected checks need over one login, or why the host was not examined (HOST-000)."""
    spec = ssh_of(host)
    target = host_target(host, spec.port if spec else None)
    probes = [p for p in PROBES if any(ctx.wants(c) for c in p.checks)]
    reason: Message | str
    try:
        with login(host, ctx.options, ctx.inventory) as transport:
            results = tuple(run_probe(transport, p, ctx.options.timeout) for p in probes)
    except AuditError as exc:
        reason = exc.reason()
    except OSError as exc:
        reason = say(
            "host.connect_failed", host=host.name, error=describe_connect_error(exc, ctx.options.timeout)
        )
    except (paramiko.SSHException, EOFError) as exc:
        reason = say("host.session_failed", host=host.name, error=describe_error(exc))
    else:
        return [HostFacts(target, results)]
    return [CollectionFailed(target, HostFacts, reason)]
