"""The demo's figures: computed once the demo's records are in, as the nightly job would."""

from __future__ import annotations

from jianfu.reports.services import stats_refresh


def reports_demo_load() -> None:
    """Compute every district's figures for every year the demo has records for."""
    stats_refresh(actor=None)
