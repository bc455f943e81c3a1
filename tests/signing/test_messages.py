"""The family's words are data: every message key its code names has text in checks.yaml, every
text there is used, a run renders in Vietnamese, and a target the family could not examine at all
is one root-cause finding that names the checks it blocked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from p06audit.checks.signing import sites, views
from p06audit.checks.signing.facts import reason
from p06audit.checks.signing.scan import ScanError
from p06audit.model import Run, Status
from p06audit.registry import REGISTRY
from p06audit.text import TEXTS, Renderer
from tests.signing.conftest import AuditSigning, SigningLab, by_check, signing_check_ids

FAMILY_DIR = Path(views.__file__).parent
# A whole message key in quotes; 'signing.window_' (a prefix the template completes) is not one.
KEY = re.compile(r"""["']((?:signing|core|SIGN-\d{3})\.[a-z][a-z0-9_]*[a-z0-9])["']""")
RESERVED = {"title", "remediation", "error_remediation"}
VI = Renderer("vi")


def _keys_in(paths: list[Path]) -> set[str]:
    return {key for path in paths for key in KEY.findall(path.read_text(encoding="utf-8"))}


def _code_keys() -> set[str]:
    """Every message key written in the family's code and templates, and the windows the
    template names by concatenation (`m('signing.window_' ~ name)`)."""
    keys = _keys_in([*FAMILY_DIR.glob("*.py"), *FAMILY_DIR.glob("templates/*.j2")])
    return keys | {f"signing.window_{name}" for name, _, _ in views.WINDOWS} | {"signing.window_unknown"}


def test_every_message_the_code_names_has_text() -> None:
    REGISTRY.load_plugins(["signing"])
    missing = sorted(key for key in _code_keys() if key not in TEXTS)
    assert not missing, f"message keys without text in checks.yaml: {missing}"


def test_every_text_of_the_family_is_used() -> None:
    REGISTRY.load_plugins(["signing"])
    loaded = TEXTS.keys()  # Texts is no mapping: it has keys() but no iteration of its own
    own = {key for key in loaded if key.split(".")[0] == "signing" or key.startswith("SIGN-")}
    defined = {key for key in own if key.split(".")[1] not in RESERVED}
    unused = sorted(defined - _code_keys() - {"signing.title"})
    assert not unused, f"checks.yaml holds text no code uses: {unused}"


def test_a_run_renders_in_vietnamese(online: Run, signing_lab: SigningLab) -> None:
    def finding(check_id: str, label: str | None = None, status: Status = Status.FAIL) -> str:
        prefix = signing_lab.file_of(label) if label else ""
        found = next(
            f
            for f in by_check(online, check_id)
            if f.status is status and (f.target.resource or "").startswith(prefix)
        )
        return VI(found.message)

    expired = finding("SIGN-001", "expired")
    assert "đã hết hạn ngày" in expired and "ngày trước" in expired
    assert "còn" in finding("SIGN-002", "expiring-5", Status.WARN)
    assert "đã bị thu hồi ngày" in finding("SIGN-009", "revoked-crl")
    assert finding("SIGN-009", "ocsp-garbage", Status.WARN).startswith("Chưa rõ tình trạng thu hồi")
    assert "không xác thực được tới chứng thư gốc tin cậy" in finding("SIGN-008", "untrusted-issuer")
    assert "đang công tác nhưng không có chứng thư" in finding("SIGN-101")
    folded = finding("SIGN-004", status=Status.PASS)
    assert folded.startswith("Mục đích sử dụng khoá có digitalSignature") and folded.endswith(" chứng thư)")
    assert "Không đọc được tệp" in finding("SIGN-010", status=Status.ERROR)


def test_folded_verdicts_count_in_each_language(online: Run) -> None:
    [folded] = [f for f in by_check(online, "SIGN-010") if f.status is Status.PASS]
    count = folded.evidence["count"]
    assert folded.summary == f"Files read ({count} files)"
    assert VI(folded.message) == f"Đã đọc được các tệp ({count} tệp)"


def test_an_unreadable_roster_is_one_root_cause_naming_the_check_it_blocked(
    signing_lab: SigningLab, audit_signing: AuditSigning, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.csv"
    run = audit_signing(sources=[signing_lab.sources], roster=missing, crl_files=[signing_lab.crl_file])
    [root] = [f for f in run.findings if f.blocked]
    assert (root.check_id, root.status, root.blocked) == ("SIGN-000", Status.ERROR, ("SIGN-101",))
    assert root.target.resource == str(missing)
    assert root.summary.startswith("This target could not be examined: cannot read roster ")
    assert "missing.csv" in root.summary and root.summary.endswith("Checks that could not run: SIGN-101.")
    assert VI(root.message).startswith("Không kiểm tra được đối tượng này: không đọc được danh sách cán bộ")
    assert not [f for f in run.findings if f.check_id == "SIGN-101"]  # no per-check ERROR besides it


def test_a_site_whose_certificates_cannot_be_collected_is_one_root_cause_for_every_check(
    signing_lab: SigningLab, audit_signing: AuditSigning, monkeypatch: pytest.MonkeyPatch
) -> None:
    def worker_died(*args: object, **kwargs: object) -> None:
        raise ScanError(reason("signing.worker_ended", code=-9))

    monkeypatch.setattr(sites, "scan", worker_died)
    run = audit_signing(sources=[signing_lab.sources], roster=signing_lab.roster)
    [root] = run.findings
    assert (root.check_id, root.status, root.target.resource) == (
        "SIGN-000",
        Status.ERROR,
        "signing certificates",
    )
    assert set(root.blocked) == signing_check_ids()
    assert "a certificate worker process ended unexpectedly (exit code -9)" in root.summary
    assert "một tiến trình đọc chứng thư đã dừng bất thường (mã thoát -9)" in VI(root.message)
