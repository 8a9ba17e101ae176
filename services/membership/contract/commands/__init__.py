"""Membership commands: imperative, with ids, time and the acting person passed in from outside.

One module per aggregate; this package re-exports them.
"""

from services.membership.contract.commands import development, dues
from services.membership.contract.commands.branches import EstablishBranch
from services.membership.contract.commands.members import RegisterMember, RegisterOutflow

__all__ = ["EstablishBranch", "RegisterMember", "RegisterOutflow", "development", "dues"]
