"""The vocabulary every domain shares: pure values and checks, no I/O, only the standard library.

A domain module imports the standard library, this package and its own service's contract, domain
and policy — nothing else (tests/test_import_rules.py holds that).
"""
