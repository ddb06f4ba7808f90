"""score_file streams CSV and Parquet in chunks and reports progress."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dualtrack.fraud.batch import score_file
from dualtrack.fraud.errors import FraudInputError
from dualtrack.fraud.features import TRANSACTION_SCHEMA
from dualtrack.fraud.model import ModelArtifact
from dualtrack.fraud.service import FraudScorer

from .conftest import FrozenClock


@pytest.mark.parametrize(("src", "dst"), [(".parquet", ".csv"), (".csv", ".parquet")])
def test_score_file_round_trip(
    tmp_path: Path, artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock, src, dst
) -> None:
    rows = stream.select([*TRANSACTION_SCHEMA, "is_fraud"]).head(2_500)
    source = tmp_path / f"in{src}"
    rows.write_parquet(source) if src == ".parquet" else rows.write_csv(source)
    progress: list[tuple[int, int | None]] = []
    n = score_file(
        source,
        tmp_path / f"out{dst}",
        FraudScorer(artifact, clock=clock),
        lambda done, total: progress.append((done, total)),
        chunk_rows=1_000,
    )
    out = (
        pl.read_parquet(tmp_path / f"out{dst}")
        if dst == ".parquet"
        else pl.read_csv(tmp_path / f"out{dst}")
    )
    assert n == 2_500 and out.height == 2_500
    assert out["txn_id"].to_list() == rows["txn_id"].to_list()
    assert [p[0] for p in progress] == [1_000, 2_000, 2_500]
    # same scores as scoring the frame in one go with a fresh state
    direct = FraudScorer(artifact, clock=clock).score_frame(rows.drop("is_fraud"))
    assert out["score"].to_list() == pytest.approx(direct["score"].to_list(), rel=1e-12)
    assert not list(tmp_path.glob("*.partial"))


def test_score_file_bad_rows_name_their_position(
    tmp_path: Path, artifact: ModelArtifact, stream: pl.DataFrame, clock: FrozenClock
) -> None:
    rows = stream.select(list(TRANSACTION_SCHEMA)).head(30)
    rows = rows.with_columns(
        currency=pl.when(pl.int_range(30) == 25).then(pl.lit("EUR")).otherwise("currency")
    )
    rows.write_parquet(tmp_path / "in.parquet")
    with pytest.raises(FraudInputError, match="rows 20-29"):
        score_file(
            tmp_path / "in.parquet",
            tmp_path / "o.csv",
            FraudScorer(artifact, clock=clock),
            chunk_rows=10,
        )
    assert not (tmp_path / "o.csv").exists()


def test_score_file_rejects_unknown_format(tmp_path: Path, artifact: ModelArtifact) -> None:
    (tmp_path / "in.json").write_text("{}")
    with pytest.raises(FraudInputError):
        score_file(tmp_path / "in.json", tmp_path / "o.csv", FraudScorer(artifact))


def test_score_file_ulb_csv(tmp_path: Path, clock: FrozenClock) -> None:
    from dualtrack.fraud.datasets import ULB_FEATURES, load_ulb
    from dualtrack.fraud.model import train_model

    from .test_datasets import SAMPLE

    frame = load_ulb(SAMPLE)
    mask = (pl.int_range(frame.height, eager=True) % 4 == 0).to_numpy()
    artifact = train_model(
        frame,
        feature_names=ULB_FEATURES,
        feature_set="ulb_pca_v1",
        label="Class",
        validation_mask=mask,
        params={"learning_rate": 0.3, "num_threads": 1, "metric": "auc"},
        max_rounds=30,
        early_stopping_rounds=10,
    ).artifact
    rows = frame.drop("hour").with_columns(txn_id=pl.int_range(frame.height).cast(pl.String))
    # read back with fixed column types (the ULB file itself writes Time as 0 ... 1e+05)
    rows.write_csv(tmp_path / "ulb.csv")
    n = score_file(
        tmp_path / "ulb.csv",
        tmp_path / "out.parquet",
        FraudScorer(artifact, clock=clock),
        chunk_rows=2_000,
    )
    out = pl.read_parquet(tmp_path / "out.parquet")
    assert n == out.height == 5_000
    flagged = out.filter(pl.col("action") != "allow")
    assert flagged.height > 0 and (flagged["reasons"] != "").all()
