"""Membership service: organisations, outstation branches, members and their mobility."""
