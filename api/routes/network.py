"""``GET /network`` and ``GET /features``: the walking network of a bounding box, coloured by one
attribute, and its seats and stops.

Public (it is the map of the app and the console). Answers are bounded: a bbox holding more
than ``max_network_features`` pieces answers 422 ``bbox_too_large`` with the limit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import RouterDep, SettingsDep
from api.responses import encoded_response
from api.schemas import ErrorBody
from api.unique_keys import UniqueKeysRoute
from routing.network import Attribute, Bbox, network_geojson, seat_features, stop_features

router = APIRouter(tags=["network"], route_class=UniqueKeysRoute)

#: The ``bbox`` query parameter of both endpoints (text: parsed by :class:`Bbox`).
BboxQuery = Annotated[
    str, Query(description="west,south,east,north in degrees", examples=["7.76,49.44,7.77,49.45"])
]


class LineGeometry(BaseModel):
    """A GeoJSON LineString (longitude, latitude)."""

    type: Literal["LineString"]
    coordinates: list[list[float]]


class NetworkProperties(BaseModel):
    """What one network piece says about the asked attribute."""

    edge: int = Field(description="the edge id (one direction of the undirected piece)")
    value: float | int | str | bool | None = Field(
        description="the attribute's value (kerb: height cm, incline: %, width: m, "
        "surface: class, steps/lit: bool, known: how many of 4 facts are known)"
    )
    known: bool
    label: str


class NetworkFeature(BaseModel):
    """One undirected way piece."""

    type: Literal["Feature"]
    geometry: LineGeometry
    properties: NetworkProperties


class NetworkCollection(BaseModel):
    """The pieces of the network in the bbox."""

    type: Literal["FeatureCollection"]
    features: list[NetworkFeature]


@router.get(
    "/network",
    response_model=NetworkCollection,
    responses={
        422: {
            "model": ErrorBody,
            "description": "invalid_bbox (malformed, swapped) or bbox_too_large (details.limit)",
        }
    },
    summary="The walking network in a bbox, coloured by one attribute (GeoJSON lines)",
)
def get_network(
    request: Request,
    router_: RouterDep,
    settings: SettingsDep,
    bbox: BboxQuery,
    attribute: Annotated[Attribute, Query(description="what the value and label say")] = "known",
) -> Response:
    """One LineString per undirected way piece with a segment in the bbox; ``known`` says
    whether the attribute is mapped there. Ask for the visible bbox; beyond
    ``max_network_features`` pieces the answer is 422 ``bbox_too_large``."""
    content = network_geojson(router_, Bbox.parse(bbox), attribute, settings.max_network_features)
    return encoded_response(content, request, settings)


class PointGeometry(BaseModel):
    """A GeoJSON Point (longitude, latitude)."""

    type: Literal["Point"]
    coordinates: list[float]


class SeatProperties(BaseModel):
    """What a place to sit is."""

    kind: str = Field(examples=["bench"], description="bench, picnic_table, stop or shelter")
    backrest: Literal["yes", "no", "unknown"]


class SeatFeature(BaseModel):
    """One seat."""

    type: Literal["Feature"]
    geometry: PointGeometry
    properties: SeatProperties


class StopProperties(BaseModel):
    """A public transport stop: what kind, its name, step-free access and a bench."""

    kind: Literal["bus_stop", "tram_stop", "platform"]
    name: str | None
    wheelchair: Literal["yes", "no", "limited", "unknown"]
    bench: Literal["yes", "no", "limited", "unknown"]


class StopFeature(BaseModel):
    """One stop."""

    type: Literal["Feature"]
    geometry: PointGeometry
    properties: StopProperties


class SeatCollection(BaseModel):
    """The seats, or the public transport stops, in the bbox."""

    type: Literal["FeatureCollection"]
    features: list[SeatFeature] | list[StopFeature]


@router.get(
    "/features",
    response_model=SeatCollection,
    responses={
        422: {
            "model": ErrorBody,
            "description": "invalid_bbox (malformed, swapped) or bbox_too_large (details.limit)",
        }
    },
    summary="Seats or public transport stops in a bbox (GeoJSON points)",
)
def get_features(
    request: Request,
    router_: RouterDep,
    settings: SettingsDep,
    bbox: BboxQuery,
    kind: Annotated[
        Literal["seats", "stops"],
        Query(description="seats: every place to sit; stops: public transport stops"),
    ] = "seats",
) -> Response:
    """``seats``: the places to sit the graph knows (benches, picnic tables, stops and shelters
    with a bench) with their backrest; the rests of a route come from the same table.
    ``stops``: the public transport stops (bus and tram stops, platforms) with their name,
    ``wheelchair`` and ``bench`` (``unknown`` when untagged)."""
    where = Bbox.parse(bbox)
    if kind == "stops":
        content = stop_features(router_.graph, where, settings.max_network_features)
    else:
        content = seat_features(router_.graph, where, kind, settings.max_network_features)
    return encoded_response(content, request, settings)
