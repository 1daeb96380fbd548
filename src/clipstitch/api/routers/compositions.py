"""/v1/compositions: submit, read, list and cancel composition jobs; get the output."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from clipstitch.api.deps import OwnerDep, ServiceDep
from clipstitch.api.schemas import CompositionCreate, JobList, Problem
from clipstitch.api.service import Service
from clipstitch.cli.planning import plan_dict
from clipstitch.jobs.errors import JobNotFinishedError
from clipstitch.jobs.states import JobStatus
from clipstitch.jobs.views import JobView, job_view
from clipstitch.net.outbound import OutboundPolicy, safe_client
from clipstitch.pipeline.fetch import FetchSettings
from clipstitch.pipeline.steps import StepContext
from clipstitch.planning.plan import plan_composition

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/compositions", tags=["compositions"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "Missing or wrong API key"},
    404: {"model": Problem, "description": "No such job"},
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobView,
    responses={
        200: {"description": "Repeat of an idempotent submit, or the dry-run plan"},
        409: {"model": Problem, "description": "Idempotency-Key reused differently"},
        422: {"model": Problem, "description": "Invalid spec or refused source"},
        **ERRORS,
    },
)
def submit(
    request: CompositionCreate,
    service: ServiceDep,
    owner: OwnerDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    dry_run: Annotated[
        bool, Query(description="Probe and plan only: predicted memory and time.")
    ] = False,
) -> JobView | JSONResponse:
    """Queue a composition; a repeated Idempotency-Key returns the first job."""
    if dry_run:
        return _dry_run(request, service)
    new = service.submit_policy.new_job(
        owner,
        request.composition(),
        idempotency_key=idempotency_key,
        callback_url=request.callback_url,
        metadata=request.metadata,
        deadline_seconds=request.deadline_seconds,
    )
    job, created = service.store.create(new)
    if created:
        logger.info("job %s submitted with %d clips", job.id, len(request.clips))
        service.runner.poke()
    else:
        response.status_code = status.HTTP_200_OK
    return job_view(job, service.store.steps(job.id))


def _dry_run(request: CompositionCreate, service: Service) -> JSONResponse:
    """The plan of a composition, with its sources checked as a submit checks them."""
    composition = request.composition()
    for index, clip in enumerate(composition.clips):
        if clip.source:
            service.submit_policy.check_source(index, clip.source)
    service.submit_policy.check_assets(composition)
    settings = service.settings
    policy = OutboundPolicy.from_strings(settings.outbound_allow)
    with safe_client(policy, timeout=settings.download_timeout) as client:
        context = StepContext(
            fetch_settings=FetchSettings(
                read_timeout=settings.download_timeout,
                max_bytes=settings.max_download_bytes,
            ),
            http_client=client,
        )
        plan = plan_composition(composition, settings.max_memory, context=context)
    return JSONResponse(plan_dict(plan), status_code=status.HTTP_200_OK)


@router.get("", responses=ERRORS)
def list_jobs(
    service: ServiceDep,
    owner: OwnerDep,
    status_filter: Annotated[JobStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JobList:
    """List jobs, newest first, optionally of one status."""
    records, total = service.store.page(owner, status_filter, limit, offset)
    items = [job_view(job, service.store.steps(job.id)) for job in records]
    return JobList(items=items, total=total, limit=limit, offset=offset)


@router.get("/{job_id}", responses=ERRORS)
def get_job(job_id: str, service: ServiceDep, owner: OwnerDep) -> JobView:
    """Status, stage, progress with ETA, per-clip state, output or error."""
    job = service.store.get(job_id, owner)
    return job_view(job, service.store.steps(job.id))


@router.post("/{job_id}/cancel", responses=ERRORS)
def cancel_job(job_id: str, service: ServiceDep, owner: OwnerDep) -> JobView:
    """Cancel a job; running ffmpeg processes stop within two seconds."""
    job = service.store.request_cancel(job_id, owner)
    service.runner.poke()
    logger.info("job %s cancel requested", job_id)
    return job_view(job, service.store.steps(job.id))


@router.get(
    "/{job_id}/output",
    response_class=Response,
    responses={
        200: {"content": {"video/mp4": {}}, "description": "The MP4 (local storage)"},
        307: {"description": "Redirect to a presigned URL (S3 storage)"},
        409: {"model": Problem, "description": "The job has no output yet"},
        **ERRORS,
    },
)
def get_output(job_id: str, service: ServiceDep, owner: OwnerDep) -> Response:
    """Stream the finished MP4, or redirect to a presigned URL."""
    job = service.store.get(job_id, owner)
    if job.status != JobStatus.SUCCEEDED or not job.output_key:
        raise JobNotFinishedError(job_id, job.status)
    filename = f"{job_id}.mp4"
    path = service.storage.local_path(job.output_key)
    if path is not None:
        return FileResponse(path, media_type="video/mp4", filename=filename)
    return RedirectResponse(service.storage.presigned_url(job.output_key), 307)
