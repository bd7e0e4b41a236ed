"""``GET /profiles`` and ``GET /profiles/{name}``: what an app builds its settings screen from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from accessibility_rules.profile import load_preset, parameter_table, preset_names
from api.schemas import ErrorBody, ProfileDetail, ProfileList, condition_parameters
from api.unique_keys import UniqueKeysRoute

router = APIRouter(prefix="/profiles", tags=["profiles"], route_class=UniqueKeysRoute)


@router.get(
    "",
    response_model=ProfileList,
    summary="All presets and every parameter with unit, range and defaults",
)
def list_profiles() -> dict[str, Any]:
    """Presets (name and labels), the parameter table (unit, range, default per preset) and the
    day's parameters of a route request (``conditions``: date, departure time, pollen forecast)."""
    presets = [load_preset(n) for n in preset_names()]
    return {
        "profiles": [
            {"name": p.name, "label_de": p.label_de, "label_en": p.label_en} for p in presets
        ],
        "parameters": parameter_table(),
        "conditions": condition_parameters(),
    }


@router.get(
    "/{name}",
    response_model=ProfileDetail,
    responses={404: {"model": ErrorBody, "description": "unknown_profile (details.known)"}},
    summary="One preset with its values and the parameter table",
)
def get_profile(name: str) -> dict[str, Any]:
    """The preset's values; each parameter with unit, range and this preset's default."""
    profile = load_preset(name)
    params = [
        {k: v for k, v in p.items() if k != "defaults"} | {"default": p["defaults"].get(name)}
        for p in parameter_table()
    ]
    return {"profile": profile.model_dump(mode="json"), "parameters": params}
