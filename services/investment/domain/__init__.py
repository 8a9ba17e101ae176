"""Pure domain of the investment service: leads (``leads``), matching (``matching``) and rewards (``rewards``)."""
