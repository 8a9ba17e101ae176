"""Event contracts: stable wire names, schemas generated from the one definition, docs kept current."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from services.kernel.events import decode
from services.partners.contract.asyncapi import document
from services.system import registries

ROOT = Path(__file__).resolve().parents[3]


def test_every_wire_name_is_stable_versioned_and_not_an_import_path() -> None:
    for registry in registries().values():
        for name in registry.names():
            assert re.fullmatch(r"gb\.[a-z]+\.[a-z_]+\.v[0-9]+", name), name
            assert "services" not in name


def test_the_committed_asyncapi_document_is_the_partners_county_wide_document() -> None:
    committed = decode((ROOT / "docs" / "asyncapi.json").read_bytes())
    assert committed == orjson.loads(orjson.dumps(document())), (
        "docs/asyncapi.json is stale: run `python -m services.partners.contract.asyncapi > docs/asyncapi.json`"
    )
