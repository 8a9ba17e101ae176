"""The house's import rules, read from the source with ``ast`` (nothing is imported or run).

1. A service is entered only through its contract: outside ``services/<service>/`` (and its own unit and
   integration tests, ``tests/unit/<service>/`` and ``tests/integration/<service>/``), nothing imports a module of
   that service other than ``services.<service>.contract``.
   ``bench/`` is white-box like the unit tests: it times internals (appends, the dues run) in-process.
2. The kernel and the shared pure package know no service: they import neither a service, nor the
   gateway, nor the system's composition.
3. A domain module is pure: it imports the standard library, ``services.pure`` and its own service's
   contract, domain and policy — nothing else.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The event-sourced services: each has a contract and is private behind it.
SERVICES = ("membership", "secondment", "investment", "partners", "workers", "auditlog")
#: Packages under services/ that are not services.
PLUMBING = ("kernel", "pure")
SCANNED = ("services", "infra", "bench", "demo", "examples", "tests")


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    module: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.module}: {self.rule}"


def imported_modules(source: str, module_name: str) -> Iterator[tuple[int, str]]:
    """Every module a source imports (``from x import y`` yields x and x.y: y may be a submodule)."""
    package = module_name.rsplit(".", 1)[0]  # a module's package; an __init__ is its own package
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _owner(module: str) -> str | None:
    """The service a module belongs to, if any."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "services" and parts[1] in SERVICES:
        return parts[1]
    return None


def _is_contract(module: str) -> bool:
    parts = module.split(".")
    return len(parts) == 2 or parts[2] == "contract"


def _home(path: Path) -> str | None:
    """The service whose inside a file is: its package, or its own unit or integration tests."""
    rel = path.relative_to(ROOT).parts
    if rel[:1] == ("services",) and len(rel) > 2 and rel[1] in SERVICES:
        return rel[1]
    if rel[:2] in (("tests", "unit"), ("tests", "integration")) and len(rel) > 3 and rel[2] in SERVICES:
        return rel[2]
    return None


def _white_box(path: Path) -> bool:
    return path.relative_to(ROOT).parts[0] == "bench"


def _stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def violations(path: Path, source: str) -> list[Violation]:
    rel = path.relative_to(ROOT)
    module_name = ".".join(rel.with_suffix("").parts)
    home = _home(path)
    in_plumbing = rel.parts[:1] == ("services",) and len(rel.parts) > 2 and rel.parts[1] in PLUMBING
    in_domain = home is not None and rel.parts[:3] == ("services", home, "domain")
    found: list[Violation] = []
    seen: set[tuple[int, str]] = set()
    for line, module in imported_modules(source, module_name):
        owner = _owner(module)
        if owner and owner != home and not _is_contract(module) and not _white_box(path) and (line, owner) not in seen:
            seen.add((line, owner))
            found.append(Violation(str(rel), line, module, f"outside {owner}, import only services.{owner}.contract"))
        if in_plumbing and module.startswith("services.") and module.split(".")[1] not in PLUMBING:
            found.append(Violation(str(rel), line, module, "the kernel and services.pure know no service"))
        if in_domain and not _stdlib(module) and not module.startswith("services.pure"):
            own = tuple(f"services.{home}.{part}" for part in ("contract", "domain", "policy"))
            if not module.startswith(own):
                found.append(Violation(str(rel), line, module, "a domain imports the standard library, "
                                                               "services.pure and its own contract, domain, policy"))
    return found


def python_files() -> Iterator[Path]:
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if ".venv" not in path.parts:
                yield path


def test_the_project_keeps_the_import_rules() -> None:
    found = [str(v) for path in python_files() for v in violations(path, path.read_text())]
    assert not found, "import rules broken:\n" + "\n".join(found)


def test_there_is_something_to_check() -> None:
    files = list(python_files())
    assert len(files) > 100
    assert any(p.parts[-3:-1] == ("membership", "domain") for p in files)


@pytest.mark.parametrize(("where", "source", "rule"), [
    ("services/gateway/api/x.py", "from services.membership.domain.rules import mask_national_id", "contract"),
    ("services/secondment/handlers.py", "import services.investment.handlers", "contract"),
    ("tests/e2e/test_x.py", "from services.investment.domain import leads", "contract"),
    ("tests/unit/secondment/test_x.py", "from services.membership.policy import dues", "contract"),
    ("tests/integration/partners/test_x.py", "from services.membership.domain import members", "contract"),
    ("tests/integration/test_x.py", "from services.partners.org_tree import OrgFollower", "contract"),
    ("services/kernel/x.py", "from services.membership.contract import SERVICE", "know no service"),
    ("services/kernel/x.py", "from services import system", "know no service"),
    ("services/pure/x.py", "from services.gateway import auth", "know no service"),
    ("services/membership/domain/x.py", "import asyncpg", "a domain imports"),
    ("services/membership/domain/x.py", "from services.kernel.store import EventStore", "a domain imports"),
    ("services/membership/domain/x.py", "from services.membership import handlers", "a domain imports"),
    ("services/investment/domain/x.py", "from services.secondment.contract import events", "a domain imports"),
])
def test_each_rule_catches_a_broken_import(where: str, source: str, rule: str) -> None:
    found = violations(ROOT / where, source)
    assert any(rule in v.rule for v in found), found


@pytest.mark.parametrize(("where", "source"), [
    ("services/gateway/api/x.py", "from services.membership.contract import mask_national_id"),
    ("services/secondment/funds_credit.py", "from services.investment.contract.events import FundsArrived"),
    ("tests/unit/membership/test_x.py", "from services.membership.domain import members"),
    ("tests/integration/partners/test_x.py", "from services.partners.org_tree import OrgFollower"),
    ("services/membership/domain/x.py", "from datetime import date\nfrom services.pure.dates import add_months"),
    ("services/membership/domain/x.py", "from services.membership.contract.events import MemberRegistered"),
    ("services/membership/domain/x.py", "from . import members\nfrom .rules import require_org_scope"),
    ("services/kernel/x.py", "from services.pure.errors import Problem"),
])
def test_allowed_imports_pass(where: str, source: str) -> None:
    assert violations(ROOT / where, source) == []
