"""Responses an endpoint serialises itself."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response

JSON = "application/json"


def json_response(model: BaseModel, *, status_code: int = 200) -> Response:
    """``model`` as JSON, serialised once.

    The endpoint keeps its ``response_model`` for the OpenAPI document; returning a model
    instead of this would have FastAPI validate it a second time before serialising it.
    """
    return Response(model.model_dump_json(), status_code=status_code, media_type=JSON)
