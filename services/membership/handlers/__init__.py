"""Membership's command handlers, one module per aggregate: load, fold, decide, append — nothing else.

Each route row (contract/routes.py) names its handler here by reference; each handler reads the facts its
rules need about other records (inside ``execute``, after the retry check) and calls its own decider.
"""
