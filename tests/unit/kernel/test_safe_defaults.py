"""Outside development no process starts with a missing, default or short secret, and it says which."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.kernel.settings import DEV_ADMIN_TOKEN, DEV_INTERNAL_SECRET, DEV_TOKEN_SECRET, Settings

ROOT = Path(__file__).resolve().parents[3]
STRONG = "s" * 40


def _production(**overrides: str) -> Settings:
    values = {"admin_token": STRONG + "a", "token_secret": STRONG + "t", "internal_secret": STRONG + "i",
              "pg_password": STRONG + "p", "environment": "production", **overrides}
    return Settings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("field", "variable", "default"), [
    ("admin_token", "GB_ADMIN_TOKEN", DEV_ADMIN_TOKEN),
    ("token_secret", "GB_TOKEN_SECRET", DEV_TOKEN_SECRET),
    ("internal_secret", "GB_INTERNAL_SECRET", DEV_INTERNAL_SECRET),
])
def test_a_development_default_is_refused_outside_development_by_name(field: str, variable: str,
                                                                      default: str) -> None:
    with pytest.raises(ValueError, match=variable):
        _production(**{field: default})


@pytest.mark.parametrize(("field", "variable"), [
    ("admin_token", "GB_ADMIN_TOKEN"), ("token_secret", "GB_TOKEN_SECRET"), ("internal_secret", "GB_INTERNAL_SECRET"),
])
def test_a_secret_shorter_than_32_bytes_is_refused_outside_development(field: str, variable: str) -> None:
    with pytest.raises(ValueError, match=f"{variable} is shorter than 32 bytes"):
        _production(**{field: "x" * 31})
    assert getattr(_production(**{field: "x" * 32}), field) == "x" * 32


def test_development_keeps_its_defaults() -> None:
    assert Settings(environment="development").admin_token == DEV_ADMIN_TOKEN


@pytest.mark.parametrize("process", [
    ["-m", "services.system", "relay", "--service", "membership"],
    ["-m", "services.gateway.projector"],
    ["-m", "services.secondment.funds_credit"],
])
def test_a_process_started_in_production_with_the_default_secret_exits_naming_the_variable(
    process: list[str], tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GB_")}
    env.update({"GB_ENV": "production", "GB_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    result = subprocess.run([sys.executable, *process], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "GB_ADMIN_TOKEN must be set to a secret value outside development" in result.stderr
