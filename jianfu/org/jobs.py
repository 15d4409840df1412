from collections.abc import Callable

from jianfu.core.errors import InvalidInput
from jianfu.core.models import BackgroundJob
from jianfu.org.services import ImportReport, regions_import, units_import


def _run_import(importer, job: BackgroundJob, progress: Callable[[int, int], None]):
    try:
        report = importer(
            actor=job.owner, data=bytes(job.payload), filename=job.payload_name, progress=progress
        )
    except InvalidInput as exc:
        # A file that cannot be read at all is reported like a bad row, on its header.
        report = ImportReport(errors=[{"row": 1, "problems": [str(exc.message)]}])
    return report.ok, report.as_dict()


def run_regions_import(job: BackgroundJob, progress: Callable[[int, int], None]):
    return _run_import(regions_import, job, progress)


def run_units_import(job: BackgroundJob, progress: Callable[[int, int], None]):
    return _run_import(units_import, job, progress)
