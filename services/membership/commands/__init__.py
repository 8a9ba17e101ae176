"""Membership commands: imperative, with ids, time and the acting person passed in from outside.

One module per aggregate; this package re-exports them.
"""

from services.membership.commands import development, dues
from services.membership.commands.branches import EstablishBranch
from services.membership.commands.members import RegisterMember, RegisterOutflow

__all__ = ["EstablishBranch", "RegisterMember", "RegisterOutflow", "development", "dues"]
