"""Maximum-likelihood training shared by the two flows of the calorimeter branch.

:class:`lhcml.calo.energyflow.LayerEnergyFlow` (layer energies) and
:class:`lhcml.calo.shapeflow.ShapeFlow` (cells) are both trained by minimising the mean
negative log-likelihood of their standardised codes given the conditions, with the same
optimiser: Adam whose learning rate decays to 0 (cosine) over all steps, gradients
clipped to norm 1 (a flow's likelihood has sharp spikes at a constant learning rate). The
training step is compiled with XLA.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from lhcml.tf_setup import import_tensorflow

log = logging.getLogger("lhcml.calo.flowfit")


def fit_by_likelihood(
    flow, codes, cond, params, rng: np.random.Generator, *, per=1, name="flow", log_every=1
) -> dict:
    """Train ``flow`` (its ``log_prob(codes, cond)`` and ``trainable_variables``) in place.

    ``codes`` (N, D) standardised codes and ``cond`` (N, C) conditions, both float32;
    ``params`` has ``epochs``, ``batch_size`` and ``learning_rate``. Every epoch visits
    the rows in an order drawn from ``rng`` in mini-batches of ``batch_size`` (an
    incomplete last batch is dropped). The loss is the mean negative log-likelihood in
    nats divided by ``per`` (e.g. the number of codes, for a loss per code). TensorFlow
    must already be set up (:func:`lhcml.tf_setup.import_tensorflow`, seeded).

    Returns the history: ``nll`` (mean loss per epoch), ``epoch_seconds``,
    ``train_seconds`` and ``traces`` (how often the step was traced and compiled: 1, as
    every batch has the same shape); progress goes to the log every ``log_every`` epochs
    and at the end.
    """
    tf, keras = import_tensorflow()  # already set up by the caller: returns the modules
    n, bs = len(codes), min(params.batch_size, len(codes))
    steps = params.epochs * (n // bs)
    schedule = keras.optimizers.schedules.CosineDecay(params.learning_rate, max(steps, 1))
    opt = keras.optimizers.Adam(schedule, clipnorm=1.0)
    variables = flow.trainable_variables
    # Adam's moments created now, not in the step's first call: a tf.function that creates
    # variables is traced twice (a default-config shape-flow step: 7.3 -> 3.7 s of tracing)
    opt.build(variables)

    # compiled by XLA: the spline and permutation ops of a coupling flow are many small
    # kernels, which XLA fuses (a default-config shape-flow step: 0.59 -> 0.22 s, one core)
    @tf.function(jit_compile=True)
    def step(x_batch, c_batch):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(flow.log_prob(x_batch, c_batch)) / per
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    history = {"nll": [], "epoch_seconds": []}
    start = time.perf_counter()
    for epoch in range(params.epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        losses = [
            float(step(tf.constant(codes[idx]), tf.constant(cond[idx])))
            for idx in (order[i : i + bs] for i in range(0, n - bs + 1, bs))
        ]
        history["nll"].append(float(np.mean(losses)))
        history["epoch_seconds"].append(time.perf_counter() - t0)
        if (epoch + 1) % log_every == 0 or epoch + 1 == params.epochs:
            log.info(
                "%s epoch %3d/%d: NLL %.4f (%.1f s)",
                name,
                epoch + 1,
                params.epochs,
                history["nll"][-1],
                history["epoch_seconds"][-1],
            )
    history["train_seconds"] = time.perf_counter() - start
    history["traces"] = step.experimental_get_tracing_count()
    return history
