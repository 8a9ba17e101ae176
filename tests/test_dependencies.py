"""Every package in requirements.txt earns its place: project code imports it, or IMPLICIT says who uses it.

Imports are read from the source with ``ast`` (nothing is imported or run) in ``services``, ``infra``,
``bench``, ``demo`` and ``tests``. A package that nothing imports is allowed only with an entry in
IMPLICIT: the reason in words and, where the use can be seen in the repository, a check of it — so
the entry goes stale loudly (the check fails) when the use goes away, and the package can be dropped.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from importlib.util import find_spec
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.processes import UVICORN_SPEED_FLAGS, app_processes
from services.kernel.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
SCANNED = ("services", "infra", "bench", "demo", "tests")
#: Distributions whose import name is not their own name (normalised) with "-" read as "_".
IMPORT_NAMES = {"pyjwt": "jwt", "pyyaml": "yaml", "faust-streaming": "faust",
                # OpenTelemetry's distributions share one namespace package
                "opentelemetry-api": "opentelemetry", "opentelemetry-sdk": "opentelemetry",
                "opentelemetry-exporter-otlp-proto-http": "opentelemetry", "opentelemetry-proto": "opentelemetry"}


def normalise(name: str) -> str:
    """A distribution's name as PEP 503 compares it (PyJWT, pyjwt and Py_JWT are one package)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def import_name(distribution: str) -> str:
    name = normalise(distribution)
    return IMPORT_NAMES.get(name, name.replace("-", "_"))


def requirements(text: str) -> list[str]:
    """The distribution names a requirements file lists (comments, versions, extras and markers dropped)."""
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
            assert match, f"cannot read the requirement {line!r}"
            names.append(match.group(0))
    return names


def top_level_imports(source: str) -> Iterator[str]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def project_imports() -> set[str]:
    return {
        module
        for top in SCANNED
        for path in sorted((ROOT / top).rglob("*.py"))
        if ".venv" not in path.parts
        for module in top_level_imports(path.read_text())
    }


# --- the uses no import shows, each with a check where the repository shows it ---------------------------


def uvicorn_commands() -> list[list[str]]:
    """The command of every HTTP process: the local runner's and docker-compose.yml's."""
    runner = [list(p.argv) for p in app_processes(Settings()) if p.ready_url is not None]
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    contained = [list(s["command"]) for s in compose["services"].values() if "uvicorn" in s.get("command", [])]
    return runner + contained


def missing_flags(argv: list[str], flags: Iterable[str]) -> list[str]:
    """Which ``--option value`` pairs of ``flags`` the command does not pass."""
    pairs = list(flags)
    wanted = list(zip(pairs[::2], pairs[1::2], strict=True))
    given = set(pairwise(argv))
    return [f"{option} {value}" for option, value in wanted if (option, value) not in given]


def check_uvicorn_is_told(option: str) -> Callable[[], None]:
    def check() -> None:
        flags = UVICORN_SPEED_FLAGS[UVICORN_SPEED_FLAGS.index(option):][:2]
        for argv in uvicorn_commands():
            assert not missing_flags(argv, flags), f"{' '.join(argv)} must pass {' '.join(flags)}"
    return check


def check_httpcore_imports_sniffio() -> None:
    spec = find_spec("httpcore._synchronization")
    assert spec is not None and spec.origin is not None, "httpx's transport httpcore is not installed"
    assert "import sniffio" in Path(spec.origin).read_text(), (
        "httpcore no longer imports sniffio: remove sniffio from requirements.txt and IMPLICIT")


def check_pytest_runs_the_async_tests_itself() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert options["asyncio_mode"] == "auto"


def check_code_quality_runs(tool: str) -> Callable[[], None]:
    def check() -> None:
        assert f'_run("{tool}"' in (ROOT / "tests" / "test_code_quality.py").read_text()
    return check


@dataclass(frozen=True)
class Implicit:
    reason: str
    check: Callable[[], None]


#: Packages no project code imports, by normalised distribution name.
IMPLICIT: Mapping[str, Implicit] = {
    "uvloop": Implicit("uvicorn's event loop, named with `--loop uvloop` in every uvicorn command",
                       check_uvicorn_is_told("--loop")),
    "httptools": Implicit("uvicorn's HTTP parser, named with `--http httptools` in every uvicorn command",
                          check_uvicorn_is_told("--http")),
    "sniffio": Implicit("httpcore (under httpx: the gateway's upstream calls, demo, bench, tests) imports it "
                        "whenever it sets up a request's locks and events; without it each of those retries a "
                        "failed import (about 33 µs each here, several per request)",
                        check_httpcore_imports_sniffio),
    "pytest-asyncio": Implicit("runs the async tests, configured by pyproject's asyncio_mode = auto",
                               check_pytest_runs_the_async_tests_itself),
    "ruff": Implicit("run by tests/test_code_quality.py (python -m ruff)", check_code_quality_runs("ruff")),
    "mypy": Implicit("run by tests/test_code_quality.py (python -m mypy)", check_code_quality_runs("mypy")),
}


def unused(requirements_text: str, imported: set[str], implicit: Mapping[str, Implicit]) -> list[str]:
    """The listed packages that nothing imports and IMPLICIT does not explain."""
    return [name for name in requirements(requirements_text)
            if import_name(name) not in imported and normalise(name) not in implicit]


# --- the tests ---------------------------------------------------------------------------------------------


def test_every_listed_package_is_imported_or_explained() -> None:
    found = unused(REQUIREMENTS.read_text(), project_imports(), IMPLICIT)
    assert not found, (f"requirements.txt lists packages nothing uses: {', '.join(found)}; remove them, or add "
                       "an entry with its reason (and a check) to IMPLICIT in tests/test_dependencies.py")


def test_implicit_uses_are_listed_and_not_imported_after_all() -> None:
    listed = {normalise(name) for name in requirements(REQUIREMENTS.read_text())}
    imported = project_imports()
    assert set(IMPLICIT) <= listed, f"IMPLICIT explains packages not in requirements.txt: {set(IMPLICIT) - listed}"
    stale = [name for name in IMPLICIT if import_name(name) in imported]
    assert not stale, f"imported now, so their IMPLICIT entries can go: {stale}"


@pytest.mark.parametrize("name", sorted(IMPLICIT))
def test_each_implicit_use_is_still_there(name: str) -> None:
    IMPLICIT[name].check()


def test_import_names_are_the_installed_distributions_modules() -> None:
    installed = {normalise(d): module for module, dists in packages_distributions().items() for d in dists
                 if module == import_name(d)}
    names = [normalise(name) for name in requirements(REQUIREMENTS.read_text())]
    wrong = [name for name in names if name not in installed]
    assert not wrong, f"no installed module has the import name assumed for {wrong}; fix IMPORT_NAMES"


@pytest.mark.parametrize(("text", "imported", "expected"), [
    ("left-pad==1.0\n", set(), ["left-pad"]),
    ("# tools\nleft-pad==1.0  # nobody imports it\nhttpx==0.28.1\n", {"httpx"}, ["left-pad"]),
    ("Left_Pad[fast]>=1 ; python_version < '3.12'\n", {"httpx"}, ["Left_Pad"]),
    ("PyJWT==2.15.1\nPyYAML==6.0.3\nfaust-streaming==0.15.3\n", {"jwt", "yaml", "faust"}, []),
    ("faust-streaming==0.15.3\n", set(), ["faust-streaming"]),
    ("uvloop==0.23.0\nsniffio==1.3.1\n", set(), []),
    ("left_pad==1.0\n", {"left_pad"}, []),
])
def test_the_check_catches_an_unused_package(text: str, imported: set[str], expected: list[str]) -> None:
    assert unused(text, imported, IMPLICIT) == expected


def test_the_flag_check_catches_a_uvicorn_command_without_the_fast_loop() -> None:
    plain = ["python", "-m", "uvicorn", "services.gateway.app:app", "--host", "0.0.0.0", "--port", "8000"]
    assert missing_flags(plain, UVICORN_SPEED_FLAGS) == ["--loop uvloop", "--http httptools"]
    assert missing_flags([*plain, "--loop", "asyncio", "--http", "httptools"], UVICORN_SPEED_FLAGS) == ["--loop uvloop"]
    assert missing_flags([*plain, *UVICORN_SPEED_FLAGS], UVICORN_SPEED_FLAGS) == []
