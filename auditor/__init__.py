"""The auditor's verifier: checks Golden Bridge's history against its signed transparency log, trusting
nothing the server says but what the pinned public key signed (docs/audit.md).

    python -m auditor verify --url http://127.0.0.1:8000 --token TOKEN --public-key KEY
    python -m auditor verify-export export.json --public-key KEY
"""
