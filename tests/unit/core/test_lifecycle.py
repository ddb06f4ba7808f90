import pytest

from dualtrack.errors import IllegalTransition
from dualtrack.registry.domain import Lifecycle, ModelVersion

LEGAL = {
    ("draft", "submitted"),
    ("draft", "retired"),
    ("submitted", "validated"),
    ("submitted", "draft"),
    ("submitted", "retired"),
    ("validated", "approved"),
    ("validated", "submitted"),
    ("validated", "retired"),
    ("approved", "deployed"),
    ("approved", "submitted"),
    ("approved", "retired"),
    ("deployed", "retired"),
    ("deployed", "submitted"),
}


def version(state: Lifecycle) -> ModelVersion:
    return ModelVersion(
        id="v",
        system_id="s",
        version="1",
        artifact_sha256="a" * 64,
        data_fingerprint="b" * 64,
        provider="p",
        licence="l",
        metrics={},
        state=state,
        created_by="dev",
        created_at="t",
        updated_at="t",
    )


@pytest.mark.parametrize("source", list(Lifecycle))
@pytest.mark.parametrize("target", list(Lifecycle))
def test_only_legal_transitions_succeed(source: Lifecycle, target: Lifecycle) -> None:
    if (source.value, target.value) in LEGAL:
        assert version(source).transition(target, at="t2").state is target
    else:
        with pytest.raises(IllegalTransition):
            version(source).transition(target, at="t2")
