"""A report build's progress, recorded on its ``ReportJob`` as the builder reaches each milestone.

The builder names the step it has just finished (:data:`STEPS`): the data gathered, the charts drawn,
the HTML composed, the pages laid out. Each maps to the stage the build is in from then on and the
percent done, measured on the 100-item benchmark (bench/report.py: the data is about 5 % of a PDF's
time, the charts 20 %, composing the HTML 20 %, laying it out 40 %, writing the file 15 %). The
job's row is updated only when the stage changes, or, within a stage, at most once per
:data:`MIN_INTERVAL`: a build costs at most half a dozen small UPDATEs. The final one (done, 100)
is written with the file, in the same UPDATE; a failure leaves the stage at the one that failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from django.utils.translation import gettext

from surveys.models import ReportJob

Stage = ReportJob.Stage
OnStep = Callable[[str], None]  # called with the name of each step the builder finished

#: step just finished -> (the stage from now on, percent done)
STEPS: dict[str, tuple[str, int]] = {
    "data": (Stage.CHARTS, 5),  # formats without charts go on to WRITING: see BuildProgress.step
    "charts": (Stage.LAYOUT, 25),
    "html": (Stage.LAYOUT, 45),
    "layout": (Stage.WRITING, 85),
}
#: percent done once the data is read, for formats drawn without charts or page layout (XLSX, CSV...)
PLAIN_DATA_DONE = 30
MIN_INTERVAL = 0.5  # seconds between two updates within one stage


class BuildProgress:
    """Records one job's progress; only while the job is still the claim started at ``claimed_at``."""

    def __init__(
        self, job_id: int, claimed_at: datetime, *, charts: bool, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.job_id, self.claimed_at, self.charts, self.clock = job_id, claimed_at, charts, clock
        self.stage: str = Stage.DATA
        self.progress = 0
        self.updates = 0  # rows written, for tests and logs
        self._written_at = clock()

    def step(self, name: str) -> None:
        """The builder finished step ``name`` (a key of :data:`STEPS`)."""
        stage, progress = STEPS[name]
        if name == "data" and not self.charts:
            stage, progress = Stage.WRITING, PLAIN_DATA_DONE
        self.reach(stage, progress)

    def reach(self, stage: str, progress: int) -> None:
        progress = max(self.progress, min(progress, 100))  # never goes back
        now = self.clock()
        if stage == self.stage and (progress == self.progress or now - self._written_at < MIN_INTERVAL):
            self.progress = progress  # kept for the next write
            return
        self.stage, self.progress, self._written_at = stage, progress, now
        ReportJob.objects.filter(pk=self.job_id, started_at=self.claimed_at).update(stage=stage, progress=progress)
        self.updates += 1


def build_status(job: ReportJob) -> str:
    """What the downloads say of a job still queued or building (the same words as _downloads.html)."""
    if job.status == ReportJob.Status.QUEUED:
        return gettext("building: queued… the link appears here when it is ready")
    return gettext("building: %(stage)s (%(progress)s %%)… the link appears here when it is ready") % {
        "stage": job.get_stage_display(),
        "progress": job.progress,
    }
