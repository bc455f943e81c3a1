"""`inventory validate` a person can act on: every problem of every file in one pass, each
`file:line: field 'x': what is wrong — what to do`, in plain words with the value received."""

from __future__ import annotations

import shutil

# ruff: noqa: RUF001 - the allowed range is written with an en dash, as the messages write it
from pathlib import Path

import pytest

from p06audit.cli import main
from p06audit.errors import InventoryError
from p06audit.inventory import load_inventory
from p06audit.validation import LIMIT
from tests.conftest import host, site, write_inventory_files

DEMO = Path(__file__).resolve().parents[2] / "inventories" / "demo"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """The demo inventory with a mistake in each file, none of which hides the others."""
    target = tmp_path / "inv"
    shutil.copytree(DEMO, target)
    groups = target / "groups.yaml"
    groups.write_text(groups.read_text().replace("security_level: 2", "security_level: 7", 1))
    hosts = target / "hosts.yaml"
    hosts.write_text(
        hosts.read_text()
        + "leaky:\n  hostname: 127.0.1.99\n  groups: [lab-dc]\n  data:\n    roles: [app_server]\n"
        + "    ssh:\n      username: audit\n      password: hunter2\n"
        + "typo:\n  hostname: 127.0.1.98\n  groups: [lab-dc]\n  data:\n    roles: [web_portal]\n    tsl: []\n"
    )
    defaults = target / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("tls_warn_days: 30", "tls_warn_days: soon"))
    return target


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_every_problem_of_every_file_in_one_pass(broken: Path) -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(broken)
    said = {p.field: p.said() for p in caught.value.problems}
    assert set(said) == {
        "data.tls_warn_days",
        "lab-psc.data.security_level",
        "leaky.data.ssh.password",
        "typo.data.tsl",
    }
    level = said["lab-psc.data.security_level"]
    assert level == (
        f"{broken / 'groups.yaml'}:{line_of(broken / 'groups.yaml', 'security_level: 7')}: "
        "field 'lab-psc.data.security_level': is 7, outside the allowed range 1–5 — use a value from 1 to 5"
    )
    secret = said["leaky.data.ssh.password"]
    assert "hunter2" not in str(caught.value)
    assert "never be written in the inventory" in secret and "name in password_env" in secret
    assert "must be a whole number, not 'soon'" in said["data.tls_warn_days"]
    assert "remove it or correct its spelling; the fields here are:" in said["typo.data.tsl"]
    assert "tls" in said["typo.data.tsl"].split("the fields here are:")[1]


def test_the_cli_prints_one_line_per_problem_in_either_language(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "validate", str(broken)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("p06audit: ") for line in lines)
    assert main(["inventory", "validate", str(broken), "--lang", "vi"]) == 2
    vietnamese = capsys.readouterr().err
    assert "đang là 7, nằm ngoài khoảng cho phép 1–5 — hãy dùng một giá trị từ 1 đến 5" in vietnamese
    assert "đặt bí mật vào một biến môi trường và ghi tên biến đó vào password_env" in vietnamese


def test_broken_yaml_is_said_in_plain_words_and_the_other_files_are_still_checked(tmp_path: Path) -> None:
    inventory = write_inventory_files(
        tmp_path / "inv", {"dc": site(level=9)}, {"portal": host("127.0.6.40", "dc", ["web_portal"])}
    )
    (inventory / "hosts.yaml").write_text("portal:\n    hostname: 127.0.6.40\n  groups: [dc]\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory)
    said = [p.said() for p in caught.value.problems]
    assert any("hosts.yaml:3:" in s and "the indentation is wrong here" in s for s in said), said
    assert any("security_level" in s and "is 9, outside the allowed range 1–5" in s for s in said), said
    assert not any("<block" in s for s in said), "no parser wording"


def test_a_subnet_wider_than_a_22_is_a_validation_error_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = write_inventory_files(
        tmp_path / "inv",
        {"dc": site(subnets=["198.51.100.0/24", "10.0.0.0/8"])},
        {"portal": host("198.51.100.7", "dc", ["web_portal"])},
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory)
    (problem,) = caught.value.problems
    assert problem.field == "dc.data.subnets.1"
    assert problem.line == line_of(inventory / "groups.yaml", "10.0.0.0/8")
    assert "10.0.0.0/8" in problem.said() and "--allow-wide-scope" in problem.said()
    assert load_inventory(inventory, allow_wide_scope=True).sites["dc"].data.subnets[1].prefixlen == 8
    assert main(["inventory", "validate", str(inventory), "--allow-wide-scope"]) == 0
    assert (
        main(["run", str(inventory), "--state-dir", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 2
    )
    assert "--allow-wide-scope" in capsys.readouterr().err
    assert not (tmp_path / "o").exists(), "nothing was scanned or written"


def test_problems_stop_at_the_limit_and_say_how_many_more(tmp_path: Path) -> None:
    hosts = {f"h{i}": host(f"127.0.6.{100 + i}", "dc", ["toaster"]) for i in range(LIMIT + 7)}
    inventory = write_inventory_files(tmp_path / "inv", {"dc": site()}, hosts)
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory)
    assert len(caught.value.problems) == LIMIT and caught.value.left_out == 7
    assert str(caught.value).splitlines()[-1] == "… and 7 more problems (fix those above and validate again)"
