"""Tagger library on small synthetic jets: training, save/reload, inputs, determinism."""

import awkward as ak
import numpy as np
import pytest
import yaml

from lhcml.config import ConfigError, load_schema, validate_config
from lhcml.io import write_json
from lhcml.taggers import ALL_TAGGERS, kind_of, load_tagger, model_file, module_of
from lhcml.taggers.inputs import (
    MissingColumnError,
    Standardizer,
    balanced_weights,
    constituent_inputs,
)
from lhcml.taggers.metrics import auc
from lhcml.taggers.workflow import score_table, train_tagger

from conftest import ROOT

FEATURES = ["pt", "eta", "msd", "tau21", "tau32", "n2", "d2", "rho", "nconst"]
N_CONS = 8
TINY = {
    "bdt": {"n_estimators": 40, "max_depth": 3, "learning_rate": 0.3, "early_stopping_rounds": 5},
    "dnn": {"layers": [16], "epochs": 4, "batch_size": 64, "learning_rate": 1e-2, "patience": 2},
    "deepsets": {
        "phi_layers": [16],
        "latent_dim": 8,
        "f_layers": [16],
        "epochs": 4,
        "batch_size": 64,
        "learning_rate": 1e-2,
        "patience": 2,
    },
}


def synthetic_jets(n: int, seed: int) -> ak.Array:
    """W/Z-like (y=1) and QCD-like (y=0) jets, plus some y=-1 jets, in the feature layout."""
    rng = np.random.default_rng(seed)
    y = rng.choice([1, 0, -1], size=n, p=[0.45, 0.45, 0.1]).astype(np.int8)
    sig = y == 1
    pt = rng.uniform(300, 800, n)
    msd = np.where(sig, rng.normal(85, 8, n), rng.uniform(30, 250, n))
    tau21 = np.clip(np.where(sig, rng.normal(0.3, 0.1, n), rng.normal(0.5, 0.1, n)), 0.01, 1)
    n2 = np.where(sig, rng.normal(0.2, 0.05, n), rng.normal(0.3, 0.05, n))
    n2[rng.random(n) < 0.02] = np.nan  # groomed to one particle
    nconst = np.where(sig, rng.poisson(30, n), rng.poisson(45, n)) + 3
    # constituents: two hard prongs for W/Z, one for QCD; padded beyond nconst
    lead = np.where(sig, rng.uniform(0.3, 0.5, n), rng.uniform(0.5, 0.9, n))
    rel = np.sort(rng.dirichlet(np.ones(N_CONS), n) * (1 - lead)[:, None], axis=1)[:, ::-1]
    rel[:, 0] = lead
    rel[sig, 1] = np.maximum(rel[sig, 1], 0.6 * (1 - lead[sig]) - 1e-3)
    rel = -np.sort(-rel, axis=1)
    n_real = np.minimum(rng.integers(4, N_CONS + 1, n), N_CONS)
    mask = np.arange(N_CONS)[None, :] < n_real[:, None]
    spread = np.where(sig, 0.3, 0.1)[:, None]
    deta = np.where(mask, rng.normal(0, 1, (n, N_CONS)) * spread, 0).astype(np.float32)
    dphi = np.where(mask, rng.normal(0, 1, (n, N_CONS)) * spread, 0).astype(np.float32)
    weight = np.where(y == 0, 1000.0, 2.0) * rng.uniform(0.9, 1.1, n)
    return ak.zip(
        {
            "sample": np.where(y == 0, "qcd", "vjets").tolist(),
            "run": np.ones(n, np.int64),
            "luminosityBlock": np.arange(n, dtype=np.int64) // 100,
            "event": np.arange(n, dtype=np.int64) + 1000 * seed,
            "y": y,
            "weight": weight,
            "pt": pt.astype(np.float32),
            "eta": rng.uniform(-2.4, 2.4, n).astype(np.float32),
            "msd": msd.astype(np.float32),
            "tau21": tau21.astype(np.float32),
            "tau32": rng.uniform(0.5, 0.9, n).astype(np.float32),
            "n2": n2.astype(np.float32),
            "d2": (n2 * 5).astype(np.float32),
            "rho": (2 * np.log(np.abs(msd) / pt)).astype(np.float32),
            "nconst": nconst.astype(np.int32),
            "cons_rel_pt": np.where(mask, rel, 0).astype(np.float32),
            "cons_deta": deta,
            "cons_dphi": dphi,
            "cons_mask": mask,
        },
        depth_limit=1,
    )


@pytest.fixture(scope="module")
def jets():
    return {
        "train": synthetic_jets(1200, 1),
        "val": synthetic_jets(400, 2),
        "test": synthetic_jets(600, 3),
    }


@pytest.fixture(scope="module")
def trained(jets):
    """Every tagger trained once on the synthetic jets: {tagger: (model, meta)}."""
    return {
        t: train_tagger(t, jets["train"], jets["val"], FEATURES, TINY.get(t, {}), seed=5, threads=1)
        for t in ALL_TAGGERS
    }


def _auc(model, table):
    sel = np.isin(table.y.to_numpy(), [0, 1])
    return auc(table.y.to_numpy()[sel], model.score(table)[sel], table.weight.to_numpy()[sel])


@pytest.mark.parametrize("tagger", ALL_TAGGERS)
def test_taggers_separate_synthetic_jets(trained, jets, tagger):
    model, meta = trained[tagger]
    assert _auc(model, jets["test"]) > 0.8
    assert meta["kind"] == kind_of(tagger)
    assert meta["inputs"]
    if tagger in ("bdt", "dnn", "deepsets"):
        n_train = meta["n_train"]
        y = jets["train"].y.to_numpy()
        assert n_train == {"signal": int((y == 1).sum()), "background": int((y == 0).sum())}
        assert meta["train_seconds"] > 0


@pytest.mark.parametrize("tagger", ALL_TAGGERS)
def test_saved_model_reloads_with_identical_scores(trained, jets, tmp_path, tagger):
    model, meta = trained[tagger]
    model_path = tmp_path / model_file(tagger)
    model.save(model_path)
    write_json(tmp_path / "meta.json", meta)
    reloaded = load_tagger(model_path, tmp_path / "meta.json")
    np.testing.assert_array_equal(reloaded.score(jets["test"]), model.score(jets["test"]))


@pytest.mark.parametrize(
    ("tagger", "column"),
    [
        ("bdt", "tau32"),
        ("dnn", "nconst"),
        ("deepsets", "cons_mask"),
        ("deepsets", "pt"),
        ("tau21", "tau21"),
        ("n2", "n2"),
    ],
)
def test_missing_column_is_named(trained, jets, tagger, column):
    model, _ = trained[tagger]
    table = jets["test"][[f for f in jets["test"].fields if f != column]]
    with pytest.raises(MissingColumnError, match=rf"'{column}'") as err:
        model.score(table)
    assert err.value.column == column
    with pytest.raises(MissingColumnError, match=rf"'{column}'"):
        train_tagger(tagger, table, jets["val"], FEATURES, TINY.get(tagger, {}), seed=5, threads=1)


@pytest.mark.parametrize("tagger", ["bdt", "dnn"])
def test_same_seed_same_model(trained, jets, tagger):
    model, _ = trained[tagger]
    again, _ = train_tagger(tagger, jets["train"], jets["val"], FEATURES, TINY[tagger], 5, 1)
    np.testing.assert_array_equal(again.score(jets["test"]), model.score(jets["test"]))


def test_deepsets_ignores_order_and_padding(trained, jets):
    model, _ = trained["deepsets"]
    table = jets["test"][:50]
    reference = model.score(table)
    cons = {c: table[c].to_numpy() for c in ("cons_rel_pt", "cons_deta", "cons_dphi", "cons_mask")}
    perm = np.random.default_rng(0).permutation(N_CONS)
    shuffled = {c: v[:, perm] for c, v in cons.items()}
    junk = {
        c: np.where(cons["cons_mask"], v, 7.0).astype(v.dtype)
        for c, v in cons.items()
        if c != "cons_mask"
    }
    for replacement in (shuffled, junk):
        other = ak.zip({**{f: table[f] for f in table.fields}, **replacement}, depth_limit=1)
        np.testing.assert_allclose(model.score(other), reference, rtol=1e-5, atol=1e-6)


def test_cut_based_scores_are_minus_the_variable(jets):
    table = jets["test"]
    model = module_of("n2").CutBasedTagger("n2")
    n2 = table.n2.to_numpy().astype(np.float64)
    score = model.score(table)
    ok = ~np.isnan(n2)
    np.testing.assert_array_equal(score[ok], -n2[ok])
    assert np.all(score[~ok] == -np.inf)
    assert (~ok).any()


def test_balanced_weights():
    y = np.array([1, 1, 1, 0, 0])
    w = np.array([1.0, 1.0, 2.0, 500.0, 1500.0])
    bw = balanced_weights(y, w)
    assert bw[y == 1].sum() == pytest.approx(2.5)
    assert bw[y == 0].sum() == pytest.approx(2.5)
    assert bw[2] / bw[0] == pytest.approx(2.0)  # relative weights kept within a class
    with pytest.raises(ValueError, match="y=0"):
        balanced_weights(np.array([1, 1]), np.array([1.0, 1.0]))


def test_standardizer_imputes_nan_with_the_mean():
    x = np.array([[1.0, 10.0], [3.0, np.nan], [5.0, 30.0]])
    s = Standardizer.fit(x)
    z = s.transform(x)
    assert z[1, 1] == 0.0
    np.testing.assert_allclose(z[:, 0], [-1.2247449, 0, 1.2247449], rtol=1e-6)
    assert Standardizer.from_dict(s.to_dict()).transform(x).tolist() == z.tolist()


def test_constituent_inputs_are_zero_where_padded(jets):
    x, mask = constituent_inputs(jets["test"])
    assert x.shape == (len(jets["test"]), N_CONS, 4)
    assert np.all(x[mask == 0] == 0)
    assert np.isfinite(x).all()


def test_score_table_keeps_ids_and_order(trained, jets):
    model, _ = trained["tau21"]
    out = score_table(model, jets["test"])
    assert out.fields == ["sample", "run", "luminosityBlock", "event", "score"]
    np.testing.assert_array_equal(out.event.to_numpy(), jets["test"].event.to_numpy())


def test_schema_defaults_match_the_library():
    train = load_schema()["properties"]["train"]["properties"]
    for tagger in ("bdt", "dnn", "deepsets"):
        schema_defaults = {k: v["default"] for k, v in train[tagger]["properties"].items()}
        assert schema_defaults == module_of(tagger).DEFAULTS, tagger
    assert train["taggers"]["default"] == list(ALL_TAGGERS)


def test_unknown_tagger_and_bad_train_config_are_refused():
    with pytest.raises(ValueError, match="unknown tagger 'svm'"):
        kind_of("svm")
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    config["train"]["taggers"] = ["bdt", "svm"]
    with pytest.raises(ConfigError, match=r"'train.taggers.1'"):
        validate_config(config, config_dir=ROOT / "config")
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    config["train"]["dnn"]["layer"] = [3]
    with pytest.raises(ConfigError, match=r"'train.dnn.layer'"):
        validate_config(config, config_dir=ROOT / "config")
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    del config["train"]
    assert (
        validate_config(config, config_dir=ROOT / "config")["train"]["bdt"]["max_depth"] == 4
    )  # defaults filled in
