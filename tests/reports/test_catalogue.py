"""The guidance catalogue is valid data, honest about its sources, and agrees with the checks."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from p06audit.guidance import GuidanceError, default_catalogue, load_catalogue, registry_problems
from p06audit.guidance.catalogue import GUIDANCE_DIR, Confidence
from p06audit.registry import REGISTRY

FIXED_CHECK_IDS = (
    {f"NET-{n:03d}" for n in range(1, 8)}
    | {f"TLS-{n:03d}" for n in range(1, 16)}
    | {f"SSH-{n:03d}" for n in range(1, 9)}
    | {f"HOST-{n:03d}" for n in range(1, 5)}
    | {f"SIGN-{n:03d}" for n in range(1, 13)}
    | {f"SIGN-{n:03d}" for n in range(101, 105)}
)
VIETNAMESE_MARKS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def copy_catalogue(tmp_path: Path) -> Path:
    target = tmp_path / "guidance"
    shutil.copytree(GUIDANCE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_every_control_of_the_research_note_is_there_with_both_titles() -> None:
    catalogue = default_catalogue()
    expected = (
        {f"VN-GOV-0{n}" for n in range(1, 4)}
        | {f"VN-NET-0{n}" for n in range(1, 6)}
        | {f"VN-TLS-0{n}" for n in range(1, 7)}
        | {f"VN-SSH-0{n}" for n in range(1, 5)}
        | {f"VN-HOST-0{n}" for n in range(1, 7)}
        | {f"VN-SIGN-0{n}" for n in range(1, 7)}
    )
    assert set(catalogue.controls) == expected
    for control in catalogue.controls.values():
        vi = control.title.vi
        assert vi != control.title.en
        assert unicodedata.is_normalized("NFC", vi), control.id
        assert VIETNAMESE_MARKS & set(vi.lower()), f"{control.id} Vietnamese title has no diacritics: {vi}"


def test_the_catalogue_names_exactly_the_fixed_check_ids() -> None:
    assert default_catalogue().check_ids() == FIXED_CHECK_IDS


def test_citations_follow_the_configured_legal_basis() -> None:
    catalogue = default_catalogue()
    net02 = catalogue.controls["VN-NET-02"]
    old = {c.document for c in catalogue.citations(net02, "nd85-2016")}
    new = {c.document for c in catalogue.citations(net02, "nd331-2026")}
    assert "tcvn-11930-2017" in old and "tcvn-11930-2017" not in new
    assert "tcvn-14423-2026" in new and "tcvn-14423-2026" not in old
    tls01 = catalogue.controls["VN-TLS-01"]
    assert catalogue.citations(tls01, "nd85-2016") == catalogue.citations(tls01, "nd331-2026")
    assert catalogue.basis(None).id == "nd85-2016"
    with pytest.raises(GuidanceError, match="unknown legal basis 'nd999'"):
        catalogue.basis("nd999")


def test_legal_wording_only_where_a_vietnamese_text_backs_it() -> None:
    catalogue = default_catalogue()
    assert catalogue.is_legal(catalogue.controls["VN-TLS-01"])  # Circular 39 annex [S]
    assert not catalogue.is_legal(catalogue.controls["VN-SSH-02"])  # BSI only: international practice
    assert not catalogue.is_legal(catalogue.controls["VN-TLS-05"])  # CA/B Forum only


def test_unconfirmed_sources_stay_marked_unconfirmed() -> None:
    """The research note could not read TCVN 11930's technical clauses nor NIST's text."""
    catalogue = default_catalogue()
    for control in catalogue.controls.values():
        for citation in control.citations:
            if citation.document in ("tcvn-11930-2017", "nist-sp-800-52r2", "bsi-tr-02102-2"):
                assert citation.confidence is Confidence.UNCONFIRMED, (control.id, citation.document)
    assert catalogue.documents["decree-85-2016"].confidence is Confidence.CONFIRMED
    assert catalogue.documents["decree-331-2026"].confidence is Confidence.SECONDARY


def test_a_control_without_checks_says_how_to_review_it_by_hand() -> None:
    manual = [c for c in default_catalogue().controls.values() if not c.automated]
    assert {c.id for c in manual} >= {"VN-GOV-01", "VN-GOV-02", "VN-GOV-03", "VN-HOST-05", "VN-HOST-06"}
    assert all(c.manual_review is not None for c in manual)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "decree-85-2016.yaml",
            "- document: decree-85-2016\n",
            "- document: decree-99-2099\n",
            "cites unknown document 'decree-99-2099'",
        ),
        ("decree-85-2016.yaml", "id: decree-85-2016\n", "id: decree-85\n", "must match the file name"),
        ("circular-39-2017.yaml", "id: VN-NET-04\n", "id: VN-NET-03\n", "VN-NET-03 is already defined"),
        ("decree-85-2016.yaml", "    levels: [3, 4, 5]\n", "    levels: [3, 4, 7]\n", "between 1 and 5"),
        (
            "tcvn-11930-2017.yaml",
            "    checks: []\n    manual_review:\n",
            "    checks: []\n    note:\n",
            "needs `manual_review`",
        ),
        (
            "decree-331-2026.yaml",
            "  legal_basis: nd331-2026\n",
            "  legal_basis: nd85-2016\n",
            "VN-GOV-01 has no citation valid under legal basis 'nd331-2026'",
        ),
    ],
)
def test_broken_catalogue_data_is_refused_naming_the_file(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    directory = copy_catalogue(tmp_path)
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(GuidanceError, match=message) as raised:
        load_catalogue(directory)
    assert ".yaml" in str(raised.value)


def test_registry_problems_reports_each_kind_of_disagreement() -> None:
    """The catalogue is the only check-to-control mapping: it may not name an unregistered check,
    and every registered check must be listed by some control."""
    catalogue = default_catalogue()
    registered = (FIXED_CHECK_IDS - {"SIGN-104"}) | {"NET-999"}
    problems = registry_problems(catalogue, registered)
    assert any(p.startswith("SIGN-104:") and "no such check is registered" in p for p in problems)
    assert any(p.startswith("NET-999:") and "no catalogue control lists it" in p for p in problems)
    assert len(problems) == 2


def test_the_mapping_is_inverted_once_in_catalogue_order() -> None:
    catalogue = default_catalogue()
    assert catalogue.controls_for_check("NET-004") == ("VN-NET-01", "VN-SSH-04")
    assert catalogue.controls_for_check("NET-999") == ()


def test_catalogue_agrees_with_every_registered_check() -> None:
    """Every referenced check exists and every check maps to a control.

    Passes only once all five families (network, tls, ssh, host, signing) are registered.
    """
    REGISTRY.load_plugins()
    assert registry_problems(default_catalogue(), REGISTRY.checks) == []
