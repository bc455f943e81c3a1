"""The scope guard: what may be handed to a scanner, checked before any probe leaves the machine.

Scan targets come only from the inventory, and every address or network is parsed again here with
`ipaddress` (defence in depth behind the inventory's own validation), so nothing that could be read
as a scanner option or a shell word reaches a command line. Networks wider than a /22 are refused
unless the operator asked for a wide scope: a typo in a prefix must not turn an audit into a sweep.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from collections.abc import Iterable, Sequence

from p06audit.errors import MissingToolError, ScopeError
from p06audit.text import Message, say

WIDEST_PREFIX_V4 = 22
MAX_SCOPE_ADDRESSES = 2 ** (32 - WIDEST_PREFIX_V4)
_TARGET_CHARS = re.compile(r"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _plain_text(value: object, what: str) -> str:
    """Reject anything that is not a bare address or CIDR before `ipaddress` sees it."""
    text = str(value)
    if not _TARGET_CHARS.match(text):
        raise ScopeError(say("core.scope_bad_characters", value=repr(text), what=say(f"core.scope_{what}")))
    return text


def parse_address(value: object) -> IpAddress:
    """One host address, or ScopeError naming the offending value."""
    text = _plain_text(value, "address")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ScopeError(say("core.scope_not_an_address", value=repr(text))) from None


def wide_scope_problems(networks: Sequence[IpNetwork], *, allow_wide: bool) -> list[tuple[int, Message]]:
    """(index, reason) of each network wider than a scan may be without --allow-wide-scope. The one
    place the width of a scope is judged: the inventory's validation and the scanner both ask it."""
    if allow_wide:
        return []
    return [
        (
            i,
            say(
                "core.scope_too_wide",
                subnet=str(network),
                count=network.num_addresses,
                prefix=WIDEST_PREFIX_V4,
                limit=MAX_SCOPE_ADDRESSES,
            ),
        )
        for i, network in enumerate(networks)
        if network.num_addresses > MAX_SCOPE_ADDRESSES
    ]


def parse_network(value: object, *, allow_wide: bool) -> IpNetwork:
    """A site subnet in strict CIDR form, no wider than /22 (or its IPv6 size) unless allowed."""
    text = _plain_text(value, "subnet")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ScopeError(say("core.scope_bad_subnet", value=repr(text), error=str(exc))) from None
    for _, reason in wide_scope_problems([network], allow_wide=allow_wide):
        raise ScopeError(reason)
    return network


def parse_ports(ports: Iterable[object]) -> tuple[int, ...]:
    """Sorted unique TCP ports, each an integer in 1..65535."""
    checked: set[int] = set()
    for port in ports:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ScopeError(say("core.scope_bad_port", value=repr(port)))
        checked.add(port)
    if not checked:
        raise ScopeError(say("core.scope_no_ports"))
    return tuple(sorted(checked))


def scan_targets(
    addresses: Iterable[object], networks: Iterable[object], *, allow_wide: bool
) -> tuple[str, ...]:
    """Validated targets for one scanner invocation: networks, then the addresses none of them covers."""
    nets = list(dict.fromkeys(parse_network(n, allow_wide=allow_wide) for n in networks))
    hosts = dict.fromkeys(parse_address(a) for a in addresses)
    loose = [a for a in hosts if not any(a.version == n.version and a in n for n in nets)]
    return tuple(str(t) for t in [*nets, *loose])


def require_program(program: str, debian_package: str) -> str:
    """Absolute path of a system program, or MissingToolError saying which package to install."""
    path = shutil.which(program)
    if path is None:
        raise MissingToolError(say("core.missing_program", program=program, package=debian_package))
    return path
