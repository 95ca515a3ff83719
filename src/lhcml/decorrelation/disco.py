"""DisCo: distance-correlation regularised tagger (Kasieczka & Shih, PRL 125 (2020) 122001).

The classifier (dense network on the mass-free inputs, sigmoid output s) minimises

    L = L_clf + lambda * dCor^2(s, m_SD)   (QCD jets of the batch, QCD physics weights)

with L_clf the class-balanced weighted binary cross-entropy
(:func:`lhcml.decorrelation.dcor.tf_distance_correlation` for the penalty). The distance
correlation is estimated per batch, so batches must hold enough QCD jets (the default
batch of 1024 jets has about 500; the cost is quadratic in the batch size). lambda = 0 is
a plain classifier. The saved model scores like the DNN.
"""

from __future__ import annotations

import logging
import time

from lhcml.config import schema_defaults
from lhcml.decorrelation import training
from lhcml.decorrelation.dcor import tf_distance_correlation
from lhcml.taggers.dnn import DNNTagger, build_model

log = logging.getLogger("lhcml.decorrelation.disco")

#: Hyperparameter defaults: the config schema's (section ``decorrelate.disco``).
DEFAULTS = schema_defaults("decorrelate.disco")


def make_step(tf, keras, clf, lam: float, p: dict):
    """The tf.function update step of L_clf + lambda dCor^2."""
    opt = keras.optimizers.Adam(learning_rate=p["learning_rate"])
    opt.build(clf.trainable_variables)  # not in the step: it would be traced twice
    lam = tf.constant(float(lam), tf.float32)

    @tf.function
    def step(x, y, w, w_qcd, mass):
        with tf.GradientTape() as tape:
            s = clf(x, training=True)[:, 0]
            l_clf = training.weighted_bce(tf, y, s, w)
            l_dcor = tf_distance_correlation(tf, s, mass, w_qcd)
            loss = l_clf + lam * l_dcor
        training.apply_gradients(opt, tape, loss, clf)
        return {"loss_clf": l_clf, "dcor": l_dcor, "loss_total": loss}

    return step


def train(train_table, val_table, features, params: dict, lam: float, seed: int, threads: int = 1):
    """Train on the signal/QCD jets of ``train_table``; return ``(DNNTagger, info)``."""
    p, tf, keras, tr, val, scaler = training.setup(
        DEFAULTS, params, train_table, val_table, features, seed, threads
    )
    clf = build_model(keras, tr.x.shape[1], p["layers"], p["dropout"])
    step = make_step(tf, keras, clf, lam, p)
    log.info(
        "DisCo tagger, lambda %g: %s jets, features %s, params %s",
        lam,
        tr.counts,
        list(features),
        p,
    )
    start = time.perf_counter()
    history = training.run_epochs(
        tf,
        [step],
        tr,
        {},
        val,
        clf,
        epochs=p["epochs"],
        batch_size=p["batch_size"],
        seed=seed,
        logger=log,
        phase="disco",
    )
    info = training.training_info(log, "DisCo tagger", tr, p, lam, history, start)
    return DNNTagger(clf, features, scaler), info
