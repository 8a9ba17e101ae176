"""The log's Ed25519 signing key: generated on first run into the secrets folder, never in git or a log.

Where: ``GB_AUDITLOG_KEY_FILE`` if set, else ``<data dir>/secrets/auditlog-signing-key.pem`` (the
folder infra/secrets.py keeps, 0700; the file 0600). It is generated when missing in any environment —
a fresh random key is no default secret — and the public key and log id are logged at start so an
operator can publish them (docs/audit.md). Losing the key means a new log id: auditors must then be
told, as a CT log's operator tells its monitors.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.kernel import tree_head
from services.kernel.settings import Settings, secrets_dir

log = logging.getLogger("auditlog")

KEY_FILE_NAME = "auditlog-signing-key.pem"


def key_path(settings: Settings) -> Path:
    configured = os.environ.get("GB_AUDITLOG_KEY_FILE", "").strip()
    return Path(configured) if configured else secrets_dir(settings) / KEY_FILE_NAME


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``; a new one written there (0600, atomically) when the file does not exist."""
    try:
        return tree_head.private_key_from_pem(path.read_bytes())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = tree_head.generate_private_key()
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(tree_head.private_key_to_pem(key))
    try:
        # Two processes starting at once: the first key written wins, both use it.
        os.link(tmp, path)
    except FileExistsError:
        os.unlink(tmp)
        return tree_head.private_key_from_pem(path.read_bytes())
    os.unlink(tmp)
    public = key.public_key()
    log.info("generated the audit log's signing key in %s; public key %s, log id %s", path,
             tree_head.public_key_to_b64(public), tree_head.log_id_for(public).hex())
    return key


def main() -> None:
    """``python -m services.auditlog.keys``: print this deployment's public key and log id (making the key on
    first use), for the county to publish where auditors pin it."""
    from services.kernel.settings import load_settings

    key = load_or_create(key_path(load_settings())).public_key()
    # The command's output is its answer (like `python -m services.system endpoints`), not a log line.
    sys.stdout.write(f"public key (Ed25519, base64 of the raw 32 bytes): {tree_head.public_key_to_b64(key)}\n"
                     f"log id (SHA-256 of the raw key, hex):             {tree_head.log_id_for(key).hex()}\n"
                     + tree_head.public_key_to_pem(key).decode())


if __name__ == "__main__":
    main()
