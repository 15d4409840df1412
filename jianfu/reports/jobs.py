"""The background job of "重新统计": a group office recounts its district's figures now."""

from __future__ import annotations

from collections.abc import Callable

from jianfu.core.models import BackgroundJob
from jianfu.org.models import Region
from jianfu.reports.services import stats_refresh


def run_stats_refresh(
    job: BackgroundJob, progress: Callable[[int, int], None]
) -> tuple[bool, dict]:
    """Recount one district's figures for every year, as the nightly refresh would."""
    district = Region.objects.get(code=job.options["district"])
    run = stats_refresh(actor=job.owner, districts=[district], progress=progress)
    return True, {
        "district": district.code,
        "years": run.years,
        "regions": run.regions,
        "departments": run.departments,
    }
