"""Citizens' reports of a barrier: stored, listed, and decided by staff.

A report is stored ``open`` (the public ``POST /reports``, rate limited per client); staff
accept it, which turns it into an obstacle of source ``citizen_report`` in the same transaction
as the report's decision, or reject it. A report is decided once: a second decision (two staff
members at once) is refused with 409 ``report_already_decided``. Every change bumps the
database's revision counter first, as the obstacles' writes do (:mod:`api.obstacles.service`).
"""

from __future__ import annotations

import builtins
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.models import Obstacle, Report
from api.db.revision import bump_revision
from api.db.session import reading_session
from api.obstacles.errors import (
    NotFoundError,
    StateConflictError,
)
from api.obstacles.geometry import geometry_json, parse_geometry
from api.obstacles.schemas import (
    ObstacleCreate,
    ReportAccept,
    ReportCreate,
)
from api.obstacles.service import Written

if TYPE_CHECKING:
    from api.obstacles.service import ObstacleService

__all__ = ["CitizenReports"]


class CitizenReports:
    """The report operations of one app, on the database and the live overlay of ``obstacles``
    (an accepted report is written as its obstacles are)."""

    def __init__(self, obstacles: ObstacleService) -> None:
        self.obstacles = obstacles

    def create(self, data: ReportCreate) -> Report:
        """Store a citizen's report (status ``open``)."""
        row = Report(
            id=str(uuid.uuid4()),
            geometry=geometry_json(data.geometry),
            description=data.description,
            contact=data.contact,
            status="open",
            obstacle_id=None,
            created_at=self.obstacles.clock(),
            decided_by=None,
            decided_at=None,
        )
        with self.obstacles.sessions.begin() as session:
            bump_revision(session)
            session.add(row)
        return row

    def list(self, status: str | None = None) -> builtins.list[Report]:
        """Reports, newest first, optionally only those with ``status``."""
        query = select(Report)
        if status is not None:
            query = query.where(Report.status == status)
        with reading_session(self.obstacles.sessions) as session:
            return list(session.scalars(query.order_by(Report.created_at.desc(), Report.id)))

    def _get(self, session: Session, report_id: str) -> Report:
        row = session.get(Report, report_id, populate_existing=True)
        if row is None:
            raise NotFoundError(f"there is no report {report_id!r}", id=report_id)
        return row

    def accept(self, report_id: str, decision: ReportAccept, author: str) -> tuple[Report, Written]:
        """Turn an open report into an obstacle (source ``citizen_report``), in one transaction."""
        with self.obstacles.sessions() as session:
            report = self._get(session, report_id)
        _check_open(report)
        data = ObstacleCreate.model_construct(  # every part was validated on its way in
            geometry=decision.geometry or parse_geometry(report.geometry),
            effect=decision.effect,
            valid_from=decision.valid_from,
            valid_until=decision.valid_until,
            reason=decision.reason or report.description,
        )

        def close_report(session: Session, obstacle: Obstacle, now: datetime) -> None:
            self._decide(session, report_id, "accepted", author, now, obstacle.id)

        written = self.obstacles.insert(
            data, author, source="citizen_report", action="accept", also=close_report
        )
        with self.obstacles.sessions() as session:
            report = self._get(session, report_id)
        return report, written

    def reject(self, report_id: str, author: str) -> Report:
        """Mark an open report as rejected."""
        now = self.obstacles.clock()
        with self.obstacles.sessions.begin() as session:
            bump_revision(session)
            self._decide(session, report_id, "rejected", author, now, None)
            return self._get(session, report_id)

    def _decide(
        self,
        session: Session,
        report_id: str,
        status: str,
        author: str,
        now: datetime,
        obstacle_id: str | None,
    ) -> None:
        result = session.execute(
            update(Report)
            .where(Report.id == report_id, Report.status == "open")
            .values(status=status, decided_by=author, decided_at=now, obstacle_id=obstacle_id)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            _check_open(self._get(session, report_id))


def _check_open(report: Report) -> None:
    if report.status != "open":
        raise StateConflictError(
            f"report {report.id} was already {report.status} by {report.decided_by}",
            code="report_already_decided",
            status=report.status,
        )
