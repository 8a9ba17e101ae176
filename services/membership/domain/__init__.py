"""Pure membership domain: decide/evolve per aggregate, no I/O, no clocks, no randomness."""
