"""Composition of the validation library into the governed core.

:func:`validate_version` is the one use case the CLI (``dualtrack validate``), the API
(``POST /api/v1/model-versions/{id}/validations``) and the dashboard share. It

1. checks, before any heavy work, that the actor may validate this version at all (not its
   developer or submitter; the validator role for HIGH tier; the version is ``submitted``),
2. loads the model from the version's ``artifact_uri`` after checking that the file's sha256
   is the registered ``artifact_sha256`` (a fraud artifact directory, a scikit-learn
   pickle/joblib file or a LightGBM model text file),
3. runs the bundled plan of the AI system's computed risk tier, using the system's protected
   attributes for the fairness tests,
4. renders the HTML and PDF reports into ``<var_dir>/reports/<report id>.{html,pdf}`` (each
   written to a temporary name and renamed), and profiles the reference data for monitoring,
5. stores the run through :meth:`RegistryService.record_validation`, which re-checks
   independence, roles and state, links the run to the controls it evidences and writes the
   ledger entry in the same transaction.

Bad input (empty data, a one-class target, missing protected-attribute columns, mismatched
feature names, NaN scores, a file that is not a model) raises an ``InvalidInput`` subclass
before anything is stored; report files written for a run the core then refuses are removed.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from dualtrack.errors import Conflict, InvalidInput, NotFound, SelfApprovalForbidden
from dualtrack.registry.domain import AISystem, Lifecycle, ModelVersion
from dualtrack.registry.service import validator_roles
from dualtrack.validation.base import PRE_DEPLOYMENT
from dualtrack.validation.domain import DatasetSpec, ValidationRun
from dualtrack.validation.errors import InvalidDataset, InvalidModelArtifact
from dualtrack.validation.loading import LightGBMBooster, LoadedModel, load_dataset, load_model
from dualtrack.validation.plans import plan_for_tier
from dualtrack.validation.report import render_html
from dualtrack.validation.service import run_validation
from dualtrack.validation_records import ValidationRecord

if TYPE_CHECKING:
    import pandas as pd

    from dualtrack.bootstrap import Platform
    from dualtrack.identity.domain import Actor

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

_REPORT_ID = re.compile(r"^[0-9a-f]{32}$")
#: Steps reported to ``progress`` besides the plan's tests: load, report, store.
EXTRA_STEPS = 3


@dataclass(frozen=True, slots=True)
class VersionModel:
    """A registered version's model, loaded and hash-checked, with its deployed thresholds."""

    loaded: LoadedModel
    thresholds: tuple[float, ...]
    source: str  # "fraud-artifact", "sklearn" or "lightgbm-booster"


def artifact_path(version: ModelVersion, base_dir: Path | None = None) -> Path:
    """The local path named by the version's ``artifact_uri`` (a path or a ``file:`` URI).

    A relative path is looked up under ``base_dir`` (the platform's ``var_dir``, where
    ``dualtrack fraud train`` saves artifacts) and then the working directory.
    """
    uri = version.artifact_uri
    if not uri:
        raise InvalidModelArtifact(
            "the model version has no artifact file registered (artifact_uri); register the "
            "version from its artifact file",
            version_id=version.id,
        )
    if uri.startswith("file:"):
        uri = unquote(urlparse(uri).path)
    elif "://" in uri:
        raise InvalidModelArtifact(
            "only local artifact files can be validated (file: URIs or paths)",
            version_id=version.id,
        )
    path = Path(uri)
    if not path.is_absolute() and base_dir is not None and (base_dir / path).exists():
        return base_dir / path
    return path


def load_version_model(version: ModelVersion, base_dir: Path | None = None) -> VersionModel:
    """Load the version's artifact, refusing it unless its sha256 is the registered one."""
    path = artifact_path(version, base_dir)
    if path.is_dir():
        return _load_fraud_artifact(path, version)
    if not path.is_file():
        raise InvalidModelArtifact("the registered artifact file does not exist", path=path.name)
    try:
        loaded = load_model(path, expected_sha256=version.artifact_sha256)
    except InvalidModelArtifact as exc:
        if "does not match" in exc.message:
            raise InvalidModelArtifact(
                "the artifact file's sha256 differs from the registered artifact_sha256: the "
                "file changed after registration; register the new artifact (which sends the "
                "version back to submitted) before validating",
                version_id=version.id,
            ) from exc
        raise
    raw = version.config.get("thresholds")
    thresholds = _thresholds(raw) if raw is not None else (0.5,)
    return VersionModel(loaded, thresholds, loaded.format)


def _thresholds(raw: Any) -> tuple[float, ...]:
    if isinstance(raw, dict):  # e.g. {"review": 0.2, "block": 0.8, "policy": "cost"}
        raw = [v for k, v in raw.items() if k in {"review", "block", "threshold"}]
    values = raw if isinstance(raw, list | tuple) else [raw]
    try:
        out = tuple(sorted(float(v) for v in values))
    except (TypeError, ValueError):
        raise InvalidInput("the version's configured thresholds are not numbers") from None
    return out or (0.5,)


def _load_fraud_artifact(directory: Path, version: ModelVersion) -> VersionModel:
    # Imported here: the fraud package is an optional Track 1 feature.
    from dualtrack.fraud.errors import ModelArtifactError
    from dualtrack.fraud.model import ModelArtifact

    try:
        artifact = ModelArtifact.load(directory)
    except ModelArtifactError as exc:
        raise InvalidModelArtifact(
            "the artifact directory is not a readable fraud model artifact", path=directory.name
        ) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidModelArtifact(
            "the fraud model artifact's metadata is malformed", reason=type(exc).__name__
        ) from exc
    if artifact.artifact_sha256 != version.artifact_sha256:
        raise InvalidModelArtifact(
            "the artifact's sha256 differs from the registered artifact_sha256: the artifact "
            "changed after registration",
            version_id=version.id,
        )
    import lightgbm

    try:
        booster = artifact.booster()
    except lightgbm.basic.LightGBMError as exc:
        raise InvalidModelArtifact("the fraud artifact's LightGBM model is corrupt") from exc
    t = artifact.thresholds
    return VersionModel(
        LoadedModel(LightGBMBooster(booster), artifact.artifact_sha256, "lightgbm-booster"),
        tuple(sorted({float(t.review), float(t.block)})),
        "fraud-artifact",
    )


def check_may_validate(actor: Actor, version: ModelVersion, system: AISystem) -> None:
    """The core's validation rules, checked up front so nobody waits for a refused run.

    ``RegistryService.record_validation`` enforces the same rules again when storing.
    """
    if actor.username in {version.created_by, version.submitted_by}:
        raise SelfApprovalForbidden(
            "a model version must be validated by someone other than its developer",
            version_id=version.id,
        )
    allowed = validator_roles(system.tier)
    if actor.role not in allowed:
        from dualtrack.errors import RoleNotAllowed

        raise RoleNotAllowed(
            f"role {actor.role.value} may not validate {system.tier.value}-tier models",
            role=actor.role.value,
            allowed=sorted(r.value for r in allowed),
        )
    if version.state is not Lifecycle.SUBMITTED:
        raise Conflict(
            f"only submitted versions can be validated (this one is {version.state.value})",
            version_id=version.id,
        )


def reports_dir(platform: Platform) -> Path:
    """Where validation reports live: ``<var_dir>/reports``."""
    return Path(platform.settings.var_dir) / "reports"


def report_path(platform: Platform, record: ValidationRecord, suffix: str) -> Path:
    """The stored report file of a validation record (``html`` or ``pdf``)."""
    if suffix not in {"html", "pdf"}:
        raise InvalidInput("reports are html or pdf")
    report = record.result.get("report") or {}
    report_id = str(report.get("id", ""))
    if not _REPORT_ID.match(report_id):
        raise NotFound("this validation record has no stored report", validation_id=record.id)
    path = reports_dir(platform) / f"{report_id}.{suffix}"
    if not path.is_file():
        raise NotFound("the report file is missing from the report store", file=path.name)
    return path


def get_validation(platform: Platform, validation_id: str) -> ValidationRecord:
    """One stored validation record (with its full result)."""
    with platform.uow() as uow:
        record = uow.validations.get(validation_id)
    if record is None:
        raise NotFound("no such validation run", validation_id=validation_id)
    return record


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def html_to_pdf(html: str) -> bytes:
    """The PDF of an already rendered report.

    ``render_pdf`` of the library renders the HTML (and its matplotlib charts) again; the
    charts are most of a report's cost, so the HTML written to disk is converted instead.
    Like the library, nothing outside the document may be fetched.
    """
    import weasyprint

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError("external resources are not allowed in validation reports")

    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=no_fetch).write_pdf()
    return pdf


def _summary(run: ValidationRun) -> str:
    counts = dict(run.summary.get("status_counts", {}))
    n = int(run.summary.get("n_tests", len(run.results)))
    blocking = [f.test_id for f in run.findings if f.blocking]
    verdict = "PASS" if run.passed else "FAIL"
    text = (
        f"{verdict}: {counts.get('pass', 0)}/{n} tests passed under plan {run.plan_id} "
        f"({run.tier} tier) on {run.data_fingerprint.n_rows} rows"
    )
    if blocking:
        text += f"; blocking findings: {', '.join(blocking[:8])}"
        if len(blocking) > 8:
            text += f" (+{len(blocking) - 8} more)"
    return text


def evidenced_controls(platform: Platform, run: ValidationRun) -> tuple[str, ...]:
    """Control IDs the run evidences that the catalogue knows as validation-run controls.

    The library tags results with the controls they speak to (SFC-07, HKMA-HLP-05, PCPD-09,
    fairness HKMA-HLP-08...). A run evidences the pre-deployment controls, and each other
    control whose tests all ran without a failure (at least one passed). The core counts
    the controls only of passing runs, or of failed runs a senior manager overrode: an
    override accepts the gate, not the failed tests' controls. Only catalogue
    IDs whose evidence kind is ``validation-run`` are linked, so ``dualtrack controls gaps``
    reads them and nothing else.
    """
    catalogue = platform.controls.catalogue
    wanted = {c.id for c in catalogue.controls if c.evidence_kind == "validation-run"}
    chosen = set(PRE_DEPLOYMENT)
    for cid in run.controls:
        statuses = {r.status for r in run.results if cid in r.controls}
        if "pass" in statuses and not statuses & {"fail", "error"}:
            chosen.add(cid)
    dropped = sorted(chosen - wanted)
    if dropped:
        logger.debug("controls not linked (not validation-run controls): %s", dropped)
    return tuple(sorted(chosen & wanted))


def validate_version(
    platform: Platform,
    actor: Actor,
    version_id: str,
    data_path: str | Path,
    *,
    target: str,
    protected: Sequence[str] | None = None,
    reference_path: str | Path | None = None,
    progress: Progress | None = None,
) -> ValidationRecord:
    """Validate a submitted model version on a dataset and store the run (see module doc).

    ``protected`` adds protected-attribute columns to those named in the AI system record
    (it cannot remove any). ``progress(done, total, step)`` is called after each step.
    """
    registry = platform.registry
    version = registry.get_version(version_id)
    system = registry.get_system(version.system_id)
    check_may_validate(actor, version, system)
    plan = plan_for_tier(system.tier.value)
    n_steps = len(plan.tests) + EXTRA_STEPS

    def step(done: int, label: str) -> None:
        if progress is not None:
            progress(done, n_steps, label)

    model = load_version_model(version, Path(platform.settings.var_dir))
    dataset = load_dataset(data_path)
    reference = load_dataset(reference_path) if reference_path is not None else None
    step(1, "loaded model and data")
    names = tuple(dict.fromkeys((*system.attributes.protected_attributes, *(protected or ()))))
    spec = DatasetSpec(
        target=target,
        protected_attributes=names,
        thresholds=model.thresholds,
    )

    def on_test(done: int, total: int, test_id: str) -> None:
        step(1 + done, test_id)

    run = run_validation(model.loaded, dataset, plan, reference, on_test, spec=spec)
    if run.model_artifact_sha256 != version.artifact_sha256:
        # load_version_model already refused a mismatch; this guards against a race.
        raise InvalidModelArtifact("the validated artifact is not the registered one")
    profile = _monitoring_profile(model, reference if reference is not None else dataset, target)
    title = f"Model validation report: {system.attributes.name} {version.version}"
    report_id = uuid.uuid4().hex
    folder = reports_dir(platform)
    html_path = folder / f"{report_id}.html"
    pdf_path = folder / f"{report_id}.pdf"
    try:
        html = render_html(run, title=title)
        _write_atomic(html_path, html.encode("utf-8"))
        _write_atomic(pdf_path, html_to_pdf(html))
        step(n_steps - 1, "rendered HTML and PDF reports")
        result = run.to_dict() | {
            "report": {"id": report_id, "html": html_path.name, "pdf": pdf_path.name},
            "model": {"source": model.source, "thresholds": list(model.thresholds)},
            "dataset": {
                "name": Path(data_path).name,
                "reference": Path(reference_path).name if reference_path else None,
                "target": target,
                "protected_attributes": list(names),
            },
            "monitoring_profile": profile,
        }
        record = registry.record_validation(
            actor,
            version_id,
            passed=run.passed,
            summary=_summary(run),
            controls=evidenced_controls(platform, run),
            result=result,
            data_fingerprint=run.data_fingerprint.sha256,
        )
    except BaseException:
        # No half-stored run: a refused or failed store leaves no report files behind.
        html_path.unlink(missing_ok=True)
        pdf_path.unlink(missing_ok=True)
        raise
    step(n_steps, "stored")
    logger.info(
        "validation %s of version %s: %s", record.id, version_id, "pass" if run.passed else "fail"
    )
    return record


def _monitoring_profile(
    model: VersionModel, reference: pd.DataFrame, target: str
) -> dict[str, Any] | None:
    """Bins of the reference data for production monitoring (None if it cannot be built)."""
    from dualtrack.monitoring.errors import InvalidMonitoringData
    from dualtrack.monitoring.service import profile_model

    try:
        profile = profile_model(
            model.loaded, reference, threshold=model.thresholds[0], target=target
        )
    except (InvalidMonitoringData, InvalidDataset) as exc:
        logger.warning("no monitoring profile: %s", type(exc).__name__)
        return None
    return profile.to_dict()


__all__ = [
    "VersionModel",
    "artifact_path",
    "check_may_validate",
    "evidenced_controls",
    "get_validation",
    "load_version_model",
    "report_path",
    "reports_dir",
    "validate_version",
]
