"""Adversarially decorrelated tagger (Louppe, Kagan & Cranmer 2016; Shimmin et al. 2017).

A classifier f(x) -> s in (0, 1) on the mass-free inputs plays against an adversary that
predicts the QCD jet's soft-drop mass from s alone, as a softmax over ``mass_bins`` bins
of equal QCD population (edges from the weighted QCD m_SD quantiles of the training
split, so a blind adversary has cross-entropy ln(mass_bins)). With the classification
loss L_clf (class-balanced weighted binary cross-entropy) and the adversary loss L_adv
(cross-entropy of the mass bin, QCD jets only, QCD physics weights):

* the adversary minimises L_adv (``adversary_steps`` updates per batch);
* the classifier minimises L_clf - lambda * L_adv, i.e. it is rewarded for scores the
  adversary cannot read the mass from.

Schedule: ``pretrain_epochs`` of the classifier alone (L_clf), ``pretrain_epochs`` of the
adversary alone (classifier frozen), then ``epochs`` of the alternating game. lambda = 0
leaves the classifier a plain classifier of the inputs (the adversary trains but has no
influence). The saved model is the classifier; it scores like the DNN.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from lhcml.config import schema_defaults
from lhcml.decorrelation import training
from lhcml.taggers.dnn import DNNTagger, build_model

log = logging.getLogger("lhcml.decorrelation.adversarial")

#: Hyperparameter defaults: the config schema's (section ``decorrelate.adversarial``).
DEFAULTS = schema_defaults("decorrelate.adversarial")


def mass_bin_edges(mass: np.ndarray, weight: np.ndarray, n_bins: int) -> np.ndarray:
    """Inner edges of ``n_bins`` bins of equal weighted population (weights > 0 only)."""
    sel = weight > 0
    m, w = np.asarray(mass, np.float64)[sel], np.asarray(weight, np.float64)[sel]
    order = np.argsort(m, kind="stable")
    cdf = np.cumsum(w[order]) / w.sum()
    quantiles = np.arange(1, n_bins) / n_bins
    return m[order][np.searchsorted(cdf, quantiles, side="left").clip(0, len(m) - 1)]


def mass_labels(mass: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Bin index (0 .. len(inner_edges)) of each mass."""
    return np.searchsorted(inner_edges, np.asarray(mass, np.float64), side="right").astype(np.int32)


def build_adversary(keras, layers, n_bins: int):
    """Dense network: classifier score (1 input) -> softmax over the mass bins."""
    inputs = keras.Input(shape=(1,), name="score")
    x = inputs
    for i, units in enumerate(layers):
        x = keras.layers.Dense(units, activation="relu", name=f"adv_dense_{i}")(x)
    outputs = keras.layers.Dense(n_bins, activation="softmax", name="mass_bin")(x)
    return keras.Model(inputs, outputs, name="adversary")


def make_steps(tf, keras, clf, adv, lam: float, p: dict):
    """The tf.function update steps: classifier alone, adversary, classifier vs adversary."""
    opt_c = keras.optimizers.Adam(learning_rate=p["learning_rate"])
    opt_a = keras.optimizers.Adam(learning_rate=p["adversary_learning_rate"])
    opt_c.build(clf.trainable_variables)  # not in the steps: they would be traced twice
    opt_a.build(adv.trainable_variables)
    lam = tf.constant(float(lam), tf.float32)

    def adv_loss(s, w_qcd, label):
        prob = tf.clip_by_value(adv(s, training=True), training.EPS, 1.0)
        ce = -tf.math.log(tf.gather(prob, label, batch_dims=1))
        return tf.reduce_sum(w_qcd * ce) / tf.maximum(tf.reduce_sum(w_qcd), training.EPS)

    @tf.function
    def classifier_step(x, y, w, w_qcd, mass, label):
        with tf.GradientTape() as tape:
            s = clf(x, training=True)[:, 0]
            loss = training.weighted_bce(tf, y, s, w)
        training.apply_gradients(opt_c, tape, loss, clf)
        return {"loss_clf": loss}

    @tf.function
    def adversary_step(x, y, w, w_qcd, mass, label):
        s = clf(x, training=False)
        with tf.GradientTape() as tape:
            loss = adv_loss(s, w_qcd, label)
        training.apply_gradients(opt_a, tape, loss, adv)
        return {"loss_adv": loss}

    @tf.function
    def combined_step(x, y, w, w_qcd, mass, label):
        with tf.GradientTape() as tape:
            s = clf(x, training=True)
            l_clf = training.weighted_bce(tf, y, s[:, 0], w)
            l_adv = adv_loss(s, w_qcd, label)
            loss = l_clf - lam * l_adv
        training.apply_gradients(opt_c, tape, loss, clf)
        return {"loss_clf": l_clf, "loss_adv_seen_by_clf": l_adv, "loss_total": loss}

    return classifier_step, adversary_step, combined_step


def train(train_table, val_table, features, params: dict, lam: float, seed: int, threads: int = 1):
    """Train on the signal/QCD jets of ``train_table``; return ``(DNNTagger, info)``."""
    p, tf, keras, tr, val, scaler = training.setup(
        DEFAULTS, params, train_table, val_table, features, seed, threads
    )
    edges = mass_bin_edges(tr.mass, tr.w_qcd, p["mass_bins"])
    labels = {"label": mass_labels(tr.mass, edges)}
    clf = build_model(keras, tr.x.shape[1], p["layers"], p["dropout"])
    adv = build_adversary(keras, p["adversary_layers"], p["mass_bins"])
    clf_step, adv_step, game_step = make_steps(tf, keras, clf, adv, lam, p)
    log.info(
        "adversarial tagger, lambda %g: %s jets, features %s, mass bins %s GeV, params %s",
        lam,
        tr.counts,
        list(features),
        np.round(edges, 1).tolist(),
        p,
    )
    start = time.perf_counter()
    run = dict(train=tr, extra=labels, val=val, model=clf, batch_size=p["batch_size"], logger=log)
    history = training.run_epochs(
        tf, [clf_step], epochs=p["pretrain_epochs"], seed=seed, phase="pretrain classifier", **run
    )
    history += training.run_epochs(
        tf,
        [adv_step],
        epochs=p["pretrain_epochs"],
        seed=seed + 1,
        phase="pretrain adversary",
        **run,
    )
    game = [adv_step] * p["adversary_steps"] + [game_step]
    history += training.run_epochs(
        tf, game, epochs=p["epochs"], seed=seed + 2, phase="adversarial", **run
    )
    info = training.training_info(
        log,
        "adversarial tagger",
        tr,
        p,
        lam,
        history,
        start,
        mass_bin_edges=edges.tolist(),
        blind_adversary_loss=float(np.log(p["mass_bins"])),
    )
    return DNNTagger(clf, features, scaler), info
