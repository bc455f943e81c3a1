"""The fixed probe commands the authenticated collector runs. Constants: nothing from the inventory.

Each probe runs in its own exec channel under `sh`, after PRELUDE: sbin directories on PATH, the C
locale (so outputs parse the same everywhere), `need TOOL` (exit 127 when the host lacks it, which
the rules turn into SKIP) and `priv CMD` (CMD through `sudo -n` when the account is not root and may
use sudo without a password; otherwise as is, and a permission error becomes the finding's reason).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

PRELUDE = r"""
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH; LC_ALL=C; export LC_ALL
need() { command -v "$1" >/dev/null 2>&1 || { echo "p06audit: $1 is not installed" >&2; exit 127; }; }
priv() {
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else "$@"; fi
}
dump() { for f in "$@"; do [ -r "$f" ] && { echo "### $f"; cat "$f"; }; done; true; }
"""

# The sshd serving this session: walk up from the session's shell to the listener, whose process
# title keeps its command line ("sshd: /usr/sbin/sshd -D -f CONFIG [listener] ..."), so `sshd -T`
# reads the same config file; without /proc, sshd's default config.
SSHD_EFFECTIVE = r"""
need sshd
cfg=""; pid=$PPID
while [ -n "$pid" ] && [ "$pid" -gt 1 ] 2>/dev/null; do
  args=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
  case "$args" in
    *"[listener]"*) cfg=$(printf '%s\n' "$args" | sed -n 's/.* -f \([^ ]*\).*/\1/p'); break;;
  esac
  pid=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
done
echo "# config: ${cfg:-default}"
if [ -n "$cfg" ]; then priv sshd -T -f "$cfg"; else priv sshd -T; fi
"""

APT_UPGRADES = r"""
need apt
newest=$(find /var/lib/apt/lists -maxdepth 1 -name '*Release' -printf '%T@\n' 2>/dev/null | sort -n | tail -1)
[ -n "$newest" ] && echo "# lists-age-seconds: $(( $(date +%s) - ${newest%.*} ))"
apt list --upgradable
"""

JOURNAL_UPLOAD = r"""
[ -x /lib/systemd/systemd-journal-upload ] || [ -x /usr/lib/systemd/systemd-journal-upload ] \
  || { echo "p06audit: systemd-journal-upload is not installed" >&2; exit 127; }
dump /etc/systemd/journal-upload.conf /etc/systemd/journal-upload.conf.d/*.conf
echo "### enabled: $(systemctl is-enabled systemd-journal-upload.service 2>/dev/null)"
"""


@dataclass(frozen=True)
class Probe:
    name: str
    script: str
    checks: tuple[str, ...]
    slow: bool = False

    @property
    def command(self) -> str:
        """Under /bin/sh whatever the account's login shell is (the text is a constant, quoted once)."""
        return "/bin/sh -c " + shlex.quote(PRELUDE + self.script)


PROBES: tuple[Probe, ...] = (
    Probe("sshd", SSHD_EFFECTIVE, ("SSH-008",)),
    Probe("timedatectl", "need timedatectl; timedatectl show", ("HOST-001",)),
    Probe("chronyc", "need chronyc; chronyc -n tracking", ("HOST-001",)),
    Probe("ntpq", "need ntpq; ntpq -pn", ("HOST-001",)),
    Probe("rsyslog", "need rsyslogd; dump /etc/rsyslog.conf /etc/rsyslog.d/*.conf", ("HOST-002",)),
    Probe(
        "syslog-ng",
        "need syslog-ng; dump /etc/syslog-ng/syslog-ng.conf /etc/syslog-ng/conf.d/*.conf",
        ("HOST-002",),
    ),
    Probe("journal-upload", JOURNAL_UPLOAD, ("HOST-002",)),
    Probe("nft", "need nft; priv nft list ruleset", ("HOST-003",)),
    Probe("iptables", "need iptables; priv iptables -S", ("HOST-003",)),
    Probe("ufw", "need ufw; priv ufw status", ("HOST-003",)),
    Probe("apt", APT_UPGRADES, ("HOST-004",), slow=True),
    Probe("dnf", "need dnf; dnf -q --cacheonly updateinfo list --security", ("HOST-004",), slow=True),
)

# Which probes each check reads, in the order the rules consult them.
TIME_SYNC = ("timedatectl", "chronyc", "ntpq")
LOG_FORWARDERS = ("rsyslog", "syslog-ng", "journal-upload")
FIREWALLS = ("nft", "iptables", "ufw")
PACKAGE_MANAGERS = ("apt", "dnf")
