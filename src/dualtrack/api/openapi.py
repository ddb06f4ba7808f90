"""The OpenAPI document as the API behaves: errors are RFC 9457 problem documents.

FastAPI documents a ``422`` with its own ``HTTPValidationError`` body on every operation that
takes input, and no other error. This API answers every error, 422 included, with an
``application/problem+json`` document (:mod:`dualtrack.api.problems`), and also answers 401,
403, 404, 409, 413 and 503 depending on the operation. :func:`document_problems` rewrites the
generated document so that it says so: FastAPI's 422 goes, each operation gets ``4XX`` and
``5XX`` responses with a :data:`PROBLEM_SCHEMA` body, and error responses a route declares
itself (with its own description) get the same body.
"""

from __future__ import annotations

from typing import Any, Final

from dualtrack.api.problems import MEDIA_TYPE, PROBLEM_BASE

PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "Problem",
    "description": (
        "An RFC 9457 problem document. `code` names the problem (the last part of `type`); "
        "some problems add members of their own, such as `errors` (which fields of an "
        "invalid request, where and why) or `problems` (every invalid row of a fraud "
        "scoring batch). Details never repeat submitted values that could be personal data."
    ),
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": [PROBLEM_BASE + "not-found"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "examples": ["not-found", "invalid-request"]},
        "instance": {"type": "string", "description": "The request path."},
        "errors": {
            "type": "array",
            "description": "With `invalid-request`: each field that failed.",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
        "problems": {
            "type": "array",
            "description": "With `fraud-invalid-input`: every problem found in the batch.",
            "items": {"type": "string"},
        },
    },
    "additionalProperties": True,
}

_REF: Final = {"$ref": "#/components/schemas/Problem"}
_GENERIC: Final = {
    "4XX": (
        "The request was refused: unauthenticated (401), not allowed for the caller's role "
        "or by separation of duties (403), unknown ID (404), conflicting with the current "
        "state (409), too large (413) or invalid (422)."
    ),
    "5XX": (
        "Not served: a needed component is not configured or another process serves this "
        "(503), or an unexpected error (500, logged without request data)."
    ),
}
_FASTAPI_422: Final = "#/components/schemas/HTTPValidationError"
_HTTP_METHODS: Final = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``document`` (FastAPI's generated OpenAPI) in place and return it."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    problem_body = {MEDIA_TYPE: {"schema": _REF}}
    for path, item in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            fastapi_422 = responses.get("422", {})
            schema = fastapi_422.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == _FASTAPI_422:
                del responses["422"]
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = dict(problem_body)
            for status, description in _GENERIC.items():
                responses.setdefault(
                    status, {"description": description, "content": dict(problem_body)}
                )
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and not _referenced(document, f"#/components/schemas/{unused}"):
            del schemas[unused]
    return document


def _referenced(node: object, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_referenced(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_referenced(v, ref) for v in node)
    return False
