"""Each feature package's ``__all__`` matches what it really exports (httpx's idea)."""

import importlib

import pytest

PACKAGES = ["dualtrack.registry", "dualtrack.controls", "dualtrack.identity", "dualtrack.ledger"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_exact_and_sorted(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and getattr(v, "__module__", "").startswith("dualtrack")
        and not isinstance(v, type(module))
    }
    assert public == set(exported)
