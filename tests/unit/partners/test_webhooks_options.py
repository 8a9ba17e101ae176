"""The webhook deliverer's tuning from the environment: production defaults, test values, bad values refused."""

from __future__ import annotations

import pytest

from services.partners.signing import Backoff
from services.partners.webhooks import options_from_env


def test_without_settings_the_production_values_hold() -> None:
    options = options_from_env({})
    assert options.backoff == Backoff(base=0.5, cap=60.0)
    assert options.timeout == 10.0
    assert options.max_failures == 8


def test_a_test_may_retry_faster_and_pause_sooner() -> None:
    options = options_from_env({"GB_WEBHOOK_BACKOFF_BASE": "0.05", "GB_WEBHOOK_BACKOFF_CAP": "0.2",
                                "GB_WEBHOOK_TIMEOUT": "2", "GB_WEBHOOK_MAX_FAILURES": "3"})
    assert options.backoff == Backoff(base=0.05, cap=0.2)
    assert (options.timeout, options.max_failures) == (2.0, 3)


def test_a_cap_below_the_base_is_the_base() -> None:
    assert options_from_env({"GB_WEBHOOK_BACKOFF_BASE": "2", "GB_WEBHOOK_BACKOFF_CAP": "1"}).backoff.cap == 2


@pytest.mark.parametrize(("name", "value"), [
    ("GB_WEBHOOK_BACKOFF_BASE", "soon"), ("GB_WEBHOOK_BACKOFF_CAP", "0"), ("GB_WEBHOOK_TIMEOUT", "-1"),
    ("GB_WEBHOOK_MAX_FAILURES", "2.5"), ("GB_WEBHOOK_MAX_FAILURES", "0"), ("GB_WEBHOOK_TIMEOUT", "nan"),
])
def test_a_bad_value_stops_the_process_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        options_from_env({name: value})
