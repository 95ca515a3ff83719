"""The table contract between stages (lhcml.tables): feature and score tables."""

import awkward as ak
import numpy as np
import pytest

from lhcml.tables import (
    SCORE_COLUMNS,
    MissingColumnError,
    aligned_scores,
    check_aligned,
    read_scores,
    read_table,
    score_table,
    write_table,
)


@pytest.fixture
def features():
    n = 6
    return ak.zip(
        {
            "sample": np.array(["qcd", "qcd", "qcd", "vjets", "vjets", "vjets"]),
            "run": np.ones(n, dtype=np.int64),
            "luminosityBlock": np.ones(n, dtype=np.int64),
            "event": np.arange(n, dtype=np.int64) + 10,
            "y": np.array([0, 0, 0, 1, 1, -1]),
            "msd": np.linspace(40.0, 140.0, n),
        },
        depth_limit=1,
    )


def test_score_table_round_trip_keeps_rows_and_order(features, tmp_path):
    score = np.array([0.1, 0.2, 0.3, 0.9, 0.8, 0.5])
    write_table(score_table(features, score), tmp_path / "test.parquet")
    scores = read_scores(tmp_path / "test.parquet")
    assert scores.fields == list(SCORE_COLUMNS)
    np.testing.assert_array_equal(scores.event.to_numpy(), features.event.to_numpy())
    np.testing.assert_allclose(aligned_scores(features, tmp_path / "test.parquet"), score)


def test_misaligned_scores_are_refused_naming_the_file_and_column(features, tmp_path):
    path = tmp_path / "bdt_test.parquet"
    shuffled = features[np.array([1, 0, 2, 3, 4, 5])]
    write_table(score_table(shuffled, np.zeros(6)), path)
    with pytest.raises(ValueError, match=r"bdt_test.parquet.*\(event\)"):
        aligned_scores(features, path)
    with pytest.raises(ValueError, match="5 scores for 6 jets"):
        check_aligned(features, read_scores(path)[:5], "x")


def test_missing_columns_and_bad_files_are_named(features, tmp_path):
    path = tmp_path / "scores.parquet"
    write_table(features, path)  # a feature table where a score table is expected
    with pytest.raises(MissingColumnError, match=r"'score'.*scores.parquet"):
        read_scores(path)
    with pytest.raises(ValueError, match=r"missing.parquet: cannot read"):
        read_table(tmp_path / "missing.parquet")
    with pytest.raises(ValueError, match="3 scores for 6 jets"):
        score_table(features, np.zeros(3))
