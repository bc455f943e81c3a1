"""Secrets from the inventory's references: never printable, errors name the source only."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

from p06audit.checks.ssh.family import SshSpec
from p06audit.checks.ssh.session import resolve_credentials
from p06audit.secrets import Secret, SecretError, env_secret, optional_env_secret
from p06audit.text import Message, Renderer
from tests.conftest import InventoryFactory, host, site

VALUE = "s3cr3t-Value-9e1"


def test_a_secret_never_prints_its_value(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(VALUE, "env P06_X")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("using %s and %r", secret, secret)
    assert VALUE not in f"{secret} {secret!r} {[secret]}" and VALUE not in caplog.text
    assert "env P06_X" in repr(secret)
    assert secret.reveal() == VALUE
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_a_missing_variable_is_named_and_an_empty_one_refused() -> None:
    with pytest.raises(SecretError, match="P06_MISSING is not set"):
        env_secret("P06_MISSING", "test login", environ={})
    with pytest.raises(SecretError, match="P06_EMPTY"):
        env_secret("P06_EMPTY", "test login", environ={"P06_EMPTY": ""})
    assert optional_env_secret(None, "x") is None


def test_credentials_resolve_from_the_environment_and_print_safely(
    make_inventory: InventoryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P06_USER", "auditor")
    monkeypatch.setenv("P06_PASSWORD", VALUE)
    inventory = make_inventory({"dc": site()}, {"h": host("192.0.2.10", "dc", ["app_server"], ssh={})})
    spec = SshSpec(username_env="P06_USER", password_env="P06_PASSWORD", key_file=Path("keys/id_ed25519"))
    credentials = resolve_credentials(spec, inventory, "h")
    assert credentials.username == "auditor"
    assert credentials.key_file == inventory.directory / "keys" / "id_ed25519"
    assert credentials.password is not None and credentials.password.reveal() == VALUE
    assert VALUE not in repr(credentials)


def test_a_missing_login_variable_names_the_host_its_use_and_the_variable_in_both_languages(
    make_inventory: InventoryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P06_USER", VALUE)
    monkeypatch.delenv("P06_UNSET_PASSWORD", raising=False)
    inventory = make_inventory({"dc": site()}, {"h": host("192.0.2.10", "dc", ["app_server"], ssh={})})
    spec = SshSpec(username_env="P06_USER", password_env="P06_UNSET_PASSWORD")
    with pytest.raises(SecretError) as raised:
        resolve_credentials(spec, inventory, "h")
    message = raised.value.reason()
    assert isinstance(message, Message)
    assert str(raised.value) == (
        "SSH login to h (password): environment variable P06_UNSET_PASSWORD is not set (or is empty)"
    )
    assert Renderer("vi")(message) == (
        "Đăng nhập SSH vào h (mật khẩu): biến môi trường P06_UNSET_PASSWORD chưa được đặt (hoặc đang rỗng)"
    )
    assert VALUE not in f"{raised.value} {message}"
