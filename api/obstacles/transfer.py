"""The obstacles as one GeoJSON FeatureCollection: exported whole, imported all or nothing.

The export lists every obstacle that is not deleted with all its properties (its version too,
so that an import of it later overwrites only what was not changed since). An import validates
and matches every feature before anything is written, names every failing feature at once
(422 ``import_failed``) and every version conflict (409), then writes all features in one
transaction with one revision, their audit rows and stored matches.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.chunks import id_chunks
from api.db.models import Obstacle
from api.db.revision import bump_revision
from api.obstacles.errors import (
    ImportFailedError,
    VersionConflictError,
)
from api.obstacles.geometry import AnyGeoJson, GeometryError, geometry_json, parse_geometry
from api.obstacles.schemas import (
    ID_MAX_LENGTH,
    RESERVED_IDS,
    ImportCollection,
    ImportFeature,
    ImportProperties,
    ImportResult,
    is_valid_id,
)
from api.obstacles.service import Written, effect_json, history_row, is_active, snapshot
from api.obstacles.stored_matches import store_match
from routing.obstacles.matching import ObstacleMatch, ObstacleMatchError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from api.obstacles.service import ObstacleService

__all__ = ["ObstacleTransfer"]


class ObstacleTransfer:
    """Export and import of the obstacles of one app (``obstacles``: its database, matcher and
    live overlay)."""

    def __init__(self, obstacles: ObstacleService) -> None:
        self.obstacles = obstacles

    def export(self) -> dict[str, Any]:
        """Every obstacle that is not deleted, as a GeoJSON FeatureCollection (all properties)."""
        now = self.obstacles.clock()
        features = []
        for row in self.obstacles.list("all"):
            props = snapshot(row)
            geometry = props.pop("geometry")
            props.pop("deleted_at")
            props["active"] = is_active(row, now)
            features.append(
                {"type": "Feature", "id": row.id, "geometry": geometry, "properties": props}
            )
        return {"type": "FeatureCollection", "features": features}

    def import_features(
        self, collection: ImportCollection, author: str, *, overwrite: bool = False
    ) -> ImportResult:
        """Create or replace (by id) every feature, all or nothing.

        Each feature is validated and matched first; if any fails, nothing is written and a 422
        ``import_failed`` names every failing feature. Ids follow the pattern of URL path ids.
        An id that exists is overwritten (new version, audited as ``import``) only if the
        feature's ``version`` property is the stored version (the export writes it), or with
        ``overwrite``; otherwise nothing is written and a 409 ``version_conflict`` names every
        such id. Other features are created with the given id or a new one.
        """
        parsed: list[tuple[AnyGeoJson, ImportProperties, ObstacleMatch]] = []
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i, feature in enumerate(collection.features):
            problem = _parse_feature(i, feature)
            if isinstance(problem, dict):
                errors.append(problem)
                continue
            geometry, props = problem
            fid = props.id or feature.id
            if fid is not None:
                if fid in seen:
                    errors.append(_feature_error(i, fid, "duplicate_id", "the id occurs twice"))
                    continue
                seen.add(fid)
                props = props.model_copy(update={"id": fid})
            try:
                match = self.obstacles.match_geometry(geometry, props.effect)
            except ObstacleMatchError as exc:
                errors.append(_feature_error(i, fid, "obstacle_matches_nothing", str(exc)))
                continue
            parsed.append((geometry, props, match))
        if errors:
            raise ImportFailedError(
                f"{len(errors)} of {len(collection.features)} features are invalid; nothing was imported",
                errors=errors, created=0, updated=0,
            )  # fmt: skip
        now = self.obstacles.clock()
        created = updated = 0
        written: list[Written] = []
        with self.obstacles.sessions.begin() as session:
            revision = bump_revision(session)
            stored = _stored_rows(session, [props.id for _, props, _ in parsed if props.id])
            if not overwrite:
                _check_import_versions(stored, parsed)
            placed: list[tuple[Obstacle, ObstacleMatch, bool]] = []
            with session.no_autoflush:  # one flush for all below, not one per feature
                for geometry, props, match in parsed:
                    values = {
                        "geometry": geometry_json(geometry),
                        "effect": effect_json(props.effect),
                        "valid_from": props.valid_from or now,
                        "valid_until": props.valid_until,
                        "reason": props.reason,
                        "source": props.source,
                        "author": props.author or author,
                        "updated_at": now,
                        "deleted_at": None,
                        "revision": revision,
                    }
                    row = stored.get(props.id) if props.id else None
                    new = row is None
                    if row is None:
                        row = Obstacle(
                            id=props.id or str(uuid.uuid4()),
                            created_at=props.created_at or now,
                            version=1,
                            **values,
                        )
                        session.add(row)
                        created += 1
                    else:
                        for key, value in values.items():
                            setattr(row, key, value)
                        row.version += 1
                        updated += 1
                    placed.append((row, match, new))
            session.flush()  # the obstacles before the rows that refer to them
            for row, match, new in placed:
                session.add(history_row(row, "import", author, now))
                store_match(
                    session, row.id, row.version, self.obstacles.live.match_key, match, new=new
                )
                written.append(Written(row, match))
        self.obstacles.after_write(written)
        return ImportResult(created=created, updated=updated, total=created + updated)


def _stored_rows(session: Session, ids: list[str]) -> dict[str, Obstacle]:
    """The stored obstacles (deleted ones too) of ``ids``, by id, read in one ``IN`` list per
    thousand ids (:func:`~api.db.chunks.id_chunks`), not one ``SELECT`` per
    feature (twice without ``overwrite``): beside an import of 10,000 points, which made 10,000
    of them, with routes running, ``/health`` waited up to 0.3-0.6 s, now under 60 ms."""
    found: dict[str, Obstacle] = {}
    for chunk in id_chunks(ids):
        rows = session.scalars(select(Obstacle).where(Obstacle.id.in_(chunk)))
        found.update((row.id, row) for row in rows)
    return found


def _check_import_versions(
    stored: Mapping[str, Obstacle], parsed: list[tuple[AnyGeoJson, ImportProperties, ObstacleMatch]]
) -> None:
    """Raise a conflict naming every feature that would overwrite an obstacle whose stored
    version is not the feature's ``version`` (``stored``: the rows of the features' ids, read
    inside the import's transaction)."""
    conflicts: list[dict[str, Any]] = []
    for index, (_, props, _) in enumerate(parsed):
        row = stored.get(props.id) if props.id else None
        if row is not None and props.version != row.version:
            conflicts.append(
                {"index": index, "id": row.id, "your_version": props.version,
                 "current_version": row.version}
            )  # fmt: skip
    if conflicts:
        ids = ", ".join(c["id"] for c in conflicts)
        raise VersionConflictError(
            f"{len(conflicts)} features would overwrite obstacles changed since they were read "
            f"(or sent without their version): {ids}; nothing was imported. Send each feature's "
            "current version, or import with mode=overwrite",
            conflicts=conflicts, ids=[c["id"] for c in conflicts],
        )  # fmt: skip


def _feature_error(index: int, fid: str | None, code: str, message: str) -> dict[str, Any]:
    return {"index": index, "id": fid, "code": code, "message": message}


def _parse_feature(
    index: int, feature: ImportFeature
) -> tuple[AnyGeoJson, ImportProperties] | dict[str, Any]:
    """(geometry, properties) of a feature, or its error entry."""
    fid = feature.id or (feature.properties or {}).get("id")
    fid = str(fid) if fid is not None else None
    for given in (feature.id, (feature.properties or {}).get("id")):
        if given is not None and not (isinstance(given, str) and is_valid_id(given)):
            return _feature_error(
                index, fid, "invalid_id",
                f"the id {given!r} cannot be used in a URL: 1 to {ID_MAX_LENGTH} characters of "
                "A-Z a-z 0-9 . _ ~ - (not starting with a dot), and not one of the API's own "
                f"path words ({', '.join(sorted(RESERVED_IDS))})",
            )  # fmt: skip
    try:
        geometry = parse_geometry(feature.geometry)
    except GeometryError as exc:
        return _feature_error(index, fid, "invalid_geometry", str(exc))
    try:
        props = ImportProperties.model_validate(feature.properties or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        return _feature_error(
            index, fid, "invalid_properties", f"{field or 'properties'}: {first.get('msg', '')}"
        )
    return geometry, props
