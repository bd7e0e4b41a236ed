"""``/reports``: citizens report obstacles without logging in; staff accept or reject them.

``POST /reports`` is public, so it is small (``max_report_bytes``, 413) and rate-limited per
client address (``reports_per_minute``, 429 with ``Retry-After``). Accepting a report creates an
obstacle (source ``citizen_report``) that applies at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.auth import AUTH_ERRORS, StaffUser
from api.deps import ReportsDep, SettingsDep
from api.errors import ApiError
from api.obstacles.area import outside_area
from api.obstacles.schemas import (
    ID_MAX_LENGTH,
    ID_PATTERN,
    ReportAccept,
    ReportCreate,
    ReportDecision,
    ReportList,
    ReportPublic,
    ReportReceipt,
)
from api.responses import encoded_model
from api.routes.obstacles import written_out
from api.schemas import ErrorBody
from api.unique_keys import UniqueKeysRoute

router = APIRouter(prefix="/reports", tags=["reports"], route_class=UniqueKeysRoute)

_STAFF = AUTH_ERRORS
_DECIDE: dict[int | str, dict[str, Any]] = _STAFF | {
    404: {"model": ErrorBody, "description": "not_found"},
    409: {"model": ErrorBody, "description": "report_already_decided"},
}


class RateLimitedError(ApiError):
    """429 with ``Retry-After``."""

    def __init__(self, retry_after: str, limit: int) -> None:
        super().__init__(
            429, "rate_limited",
            f"too many reports from this address: at most {limit} per minute; "
            f"try again in {retry_after} s",
            retry_after_s=int(retry_after), limit_per_minute=limit,
        )  # fmt: skip
        self.headers = {"Retry-After": retry_after}


def limit_reports(request: Request) -> None:
    """Count this report against its client address; 429 past the limit."""
    limiter = request.app.state.report_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.hit(client)
    if wait is not None:
        raise RateLimitedError(limiter.retry_after_header(wait), limiter.limit)


#: A report id in the URL path.
ReportIdPath = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=ID_MAX_LENGTH, description="the report's id")
]


def _public(row: Any) -> ReportPublic:
    return ReportPublic.model_validate(row, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=ReportReceipt,
    responses={
        413: {"model": ErrorBody, "description": "payload_too_large"},
        422: {"model": ErrorBody, "description": "invalid_request, out_of_area"},
        429: {"model": ErrorBody, "description": "rate_limited (see Retry-After)"},
    },
    dependencies=[Depends(limit_reports)],
    summary="Report an obstacle (public, no login)",
)
def create_report(body: ReportCreate, reports: ReportsDep) -> ReportReceipt:
    """Where (a GeoJSON point, line or area) and what; a contact only if you want an answer.

    A place outside the area this server routes in is refused (422 ``out_of_area``).
    """
    outside = outside_area(reports.obstacles.live.router, body.geometry)
    if outside is not None:
        where, lon, lat = outside
        raise ApiError(
            422, "out_of_area",
            f"geometry.{where} [{lon}, {lat}] is outside the area this server knows; "
            "report obstacles in its area (GeoJSON order is [longitude, latitude])",
            field=f"geometry.{where}", lon=lon, lat=lat,
        )  # fmt: skip
    return ReportReceipt.model_validate(reports.create(body), from_attributes=True)


@router.get("", response_model=ReportList, responses=_STAFF, summary="Citizen reports (staff)")
def list_reports(
    _: StaffUser,
    reports: ReportsDep,
    request: Request,
    settings: SettingsDep,
    status: Annotated[Literal["open", "accepted", "rejected"] | None, Query()] = None,
) -> Response:
    """Newest first; ``?status=open`` for the work list."""

    def listed() -> ReportList:
        rows = reports.list(status)
        return ReportList(count=len(rows), reports=[_public(r) for r in rows])

    return encoded_model(listed, request, settings)


@router.post(
    "/{report_id}/accept",
    response_model=ReportDecision,
    responses=_DECIDE
    | {422: {"model": ErrorBody, "description": "invalid_request, obstacle_matches_nothing"}},
    summary="Accept a report: it becomes an obstacle (staff)",
)
def accept_report(
    report_id: ReportIdPath,
    body: ReportAccept,
    user: StaffUser,
    reports: ReportsDep,
    response: Response,
) -> ReportDecision:
    """Create the obstacle staff decided on (the report's geometry unless another is given)."""
    report, written = reports.accept(report_id, body, user.name)
    obstacle = written_out(written, reports.obstacles, response)
    return ReportDecision(report=_public(report), obstacle=obstacle)


@router.post(
    "/{report_id}/reject",
    response_model=ReportDecision,
    responses=_DECIDE,
    summary="Reject a report (staff)",
)
def reject_report(report_id: ReportIdPath, user: StaffUser, reports: ReportsDep) -> ReportDecision:
    """The report is closed without an obstacle."""
    return ReportDecision(report=_public(reports.reject(report_id, user.name)))
