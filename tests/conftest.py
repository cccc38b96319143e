"""Suite-wide test settings."""

from hypothesis import HealthCheck, settings

# Hypothesis's per-example deadline measures wall time, which on a shared 2-core machine
# says more about the neighbours than about the code: properties here check correctness,
# and growth is checked by the scaling tests, never by a deadline.
settings.register_profile("aifkit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("aifkit")
