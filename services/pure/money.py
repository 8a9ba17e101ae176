"""Money in: amounts in yuan, checked by one rule for every service.

An amount reaches a command as a ``Decimal`` parsed from what the client wrote, and ``Decimal`` takes anything:
forty digits, ``1e999999``, ``0E-999999``. Each is a finite number, but rounding one to the fen raises
``decimal.InvalidOperation`` past the context's 28 digits (a 500), and PostgreSQL's ``numeric`` refuses an
exponent beyond about a thousand: stored in an event, such an amount is a poison event no read model can apply.
So the check compares and reads the digits (``as_tuple``) only — nothing here needs a decimal context — and lets
through exactly the amounts written in plain digits with at most two decimals, within a bound.
"""

from __future__ import annotations

from decimal import Decimal

from services.pure.errors import DomainError

#: The fen: money is yuan to two decimals.
FEN = Decimal("0.01")
#: No amount the county records comes near a trillion yuan — the largest, an investment lead's promised capital,
#: is billions for a large plant — so a bound that keeps a typo (or 1e999999) out of the record. A service with a
#: tighter sense of its amounts passes its own ``most``.
MOST_YUAN = Decimal(1_000_000_000_000)


def yuan(value: Decimal, what: str, *, positive: bool = False, most: Decimal = MOST_YUAN) -> Decimal:
    """An amount in yuan: a finite ``Decimal`` from 0 (above 0 when ``positive``) to ``most``, written in plain
    digits with at most two decimals (``1250000``, ``12.5``, ``12.50``; not ``12.505``, ``12.500`` or ``1E+3``).
    Returns it unchanged; refuses it with a message naming ``what`` and what to write instead."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(f"{what} must be an amount in yuan in plain digits like 1250.50, not {value!r}")
    if value < 0:
        raise DomainError(f"{what} {value} is negative; amounts are at least 0 yuan and at most {most:,}")
    if positive and value == 0:
        raise DomainError(f"{what} must be a positive amount, more than 0 yuan; got {value}")
    if value > most:
        raise DomainError(f"{what} {value} is more than {most:,} yuan, beyond any amount recorded here; check the "
                          "amount")
    exponent = int(value.as_tuple().exponent)  # finite: only NaN and infinity have a letter there
    if exponent < -2:
        # Bounded above, so rounding to the fen stays within any context: the example is safe to compute.
        raise DomainError(f"{what} {value} has more than two decimals; amounts are in yuan to the fen, e.g. "
                          f"{value.quantize(FEN)}")
    if exponent > 0:
        raise DomainError(f"{what} {value} is written with an exponent; write the amount in plain digits, e.g. "
                          f"{value:f}")
    return value
