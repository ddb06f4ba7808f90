"""Validation runs: run the tier's plan on a dataset, read the stored run and its reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import Field, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool

from dualtrack.api.deps import ActorDep, PlatformDep
from dualtrack.api.schemas import NOT_BLANK, Strict, Strip
from dualtrack.api.uploads import form_text, save_upload, server_path, split_names, upload_folder
from dualtrack.errors import InvalidInput
from dualtrack.validation.wiring import get_validation, report_path, validate_version
from dualtrack.validation_records import ValidationRecord

router = APIRouter(prefix="/api/v1", tags=["validation"])

Column = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), Strip]
ServerPath = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ValidationRequest(Strict):
    """Validate on files already on the server, under ``<var_dir>/data``."""

    data_path: ServerPath = Field(description="CSV or Parquet file under <var_dir>/data.")
    target: Column = Field(description="The outcome column (two classes).")
    protected: list[Column] = Field(
        default_factory=list,
        max_length=20,
        description="Protected-attribute columns added to those of the AI system record.",
    )
    reference_path: ServerPath | None = Field(
        None, description="Reference (training) sample under <var_dir>/data."
    )


def record_view(record: ValidationRecord) -> dict[str, Any]:
    """The stored record with its run detail (the monitoring bins are left out)."""
    result = {k: v for k, v in record.result.items() if k != "monitoring_profile"}
    result["has_monitoring_profile"] = bool(record.result.get("monitoring_profile"))
    report = record.result.get("report")
    links = (
        {
            "html": f"/api/v1/validations/{record.id}/report.html",
            "pdf": f"/api/v1/validations/{record.id}/report.pdf",
        }
        if report
        else None
    )
    return record.to_json() | {"result": result, "report_links": links}


@router.post("/model-versions/{version_id}/validations", status_code=201)
async def run_validation_route(
    version_id: str, request: Request, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Validate a submitted version with its tier's plan and store the run.

    Send either `multipart/form-data` with a `data` file (CSV or Parquet), an optional
    `reference` file and the fields `target` and `protected` (comma-separated), or JSON
    naming files under the server's `<var_dir>/data` folder. The caller must not be the
    version's developer (and must be a validator for HIGH tier). Bad data gives a 422 problem
    naming what is wrong, and nothing is stored. The response is the stored record with links
    to its HTML and PDF reports; a pass moves the version to `validated`.
    """
    var_dir = Path(platform.settings.var_dir)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        async with request.form() as form:
            with upload_folder(var_dir) as folder:
                data = await save_upload(form.get("data"), folder, field="data")
                ref_upload = form.get("reference")
                reference = (
                    await save_upload(ref_upload, folder, field="reference")
                    if ref_upload is not None and not isinstance(ref_upload, str)
                    else None
                )
                target = form_text(form, "target", required=True, limit=200)
                assert target is not None
                protected = split_names(form_text(form, "protected"))
                record = await run_in_threadpool(
                    validate_version,
                    platform,
                    actor,
                    version_id,
                    data,
                    target=target,
                    protected=protected,
                    reference_path=reference,
                )
        return record_view(record)
    if not content_type.startswith("application/json"):
        raise InvalidInput("send multipart/form-data with a data file, or JSON naming server files")
    try:
        body = ValidationRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InvalidInput(f"invalid request: {detail}") from None
    data = server_path(var_dir, body.data_path, field="data_path")
    reference = (
        server_path(var_dir, body.reference_path, field="reference_path")
        if body.reference_path
        else None
    )
    record = await run_in_threadpool(
        validate_version,
        platform,
        actor,
        version_id,
        data,
        target=body.target,
        protected=body.protected,
        reference_path=reference,
    )
    return record_view(record)


@router.get("/validations/{validation_id}")
def get_validation_route(
    validation_id: str, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """One stored validation run: verdict, findings by severity, per-test results, controls."""
    return record_view(get_validation(platform, validation_id))


@router.get(
    "/validations/{validation_id}/report.html",
    response_class=FileResponse,
    responses={200: {"description": "The report.", "content": {"text/html": {}}}},
)
def report_html(validation_id: str, platform: PlatformDep, actor: ActorDep) -> FileResponse:
    """The validation report as self-contained HTML (charts inline, no external assets)."""
    path = report_path(platform, get_validation(platform, validation_id), "html")
    return FileResponse(path, media_type="text/html; charset=utf-8")


@router.get(
    "/validations/{validation_id}/report.pdf",
    response_class=FileResponse,
    responses={200: {"description": "The report.", "content": {"application/pdf": {}}}},
)
def report_pdf(validation_id: str, platform: PlatformDep, actor: ActorDep) -> FileResponse:
    """The same report as PDF (WeasyPrint; CJK text needs fonts-wqy-microhei or Noto CJK)."""
    record = get_validation(platform, validation_id)
    path = report_path(platform, record, "pdf")
    return FileResponse(path, media_type="application/pdf", filename=f"validation-{record.id}.pdf")
