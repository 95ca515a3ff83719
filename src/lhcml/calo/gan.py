"""An energy-conditioned Wasserstein GAN with gradient penalty (WGAN-GP) per particle.

Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017 (arXiv:1704.00028),
conditioned on the incident energy as in CaloGAN (Paganini et al., PRD 97 (2018) 014021).

Representation
    A shower is its 504 cells (layers 0, 1, 2 flattened) as fractions of the incident
    energy, compressed with ``y = ln(1 + f / eps) / ln(1 + 1 / eps)`` (eps = 1e-4), so
    y is in [0, ~1], zero for empty cells, and the large dynamic range of the cell energies
    is tamed. The condition is ``c = 2 ln(E / E_min) / ln(E_max / E_min) - 1`` in [-1, 1].

Networks (dense, LeakyReLU 0.2)
    generator: [z (latent_dim, standard normal), c] -> hidden layers -> 504, clipped to
    [0, 1] (a cell can be exactly empty and never exceeds the incident energy).
    critic: [y, its layer sums, c] -> hidden layers -> 1 (linear; no batch normalisation,
    which would break the per-sample gradient penalty).

Training
    ``n_critic`` critic steps per generator step; critic loss
    D(fake) - D(real) + gp_weight (|grad_x D(x_hat)| - 1)^2 on random interpolates x_hat;
    generator loss -D(fake); Adam (beta1 = 0.5, beta2 = 0.9). One epoch is one pass of the
    critic over the training showers. Seeded (NumPy shuffling, a TensorFlow counter-based
    generator for latent vectors and interpolation weights) and run with op determinism,
    so the same config gives the same generator on the same machine.
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import asdict, dataclass

import numpy as np

from lhcml.calo.encoding import encode_energy, rescale_layers
from lhcml.calo.geometry import (
    LAYER_CELLS,
    LAYER_OFFSETS,
    N_CELLS,
    flatten_layers,
    showers_from_cells,
)
from lhcml.config import ConfigSection
from lhcml.tf_setup import import_tensorflow

log = logging.getLogger("lhcml.calo.gan")

EPS = 1e-4
_Y_SCALE = float(np.log1p(1.0 / EPS))


@dataclass(frozen=True)
class GanParams(ConfigSection, section="calo.gan"):
    """GAN hyperparameters (config section ``calo.gan``; defaults: the schema's)."""

    epochs: int
    batch_size: int
    latent_dim: int
    generator_layers: list[int]
    critic_layers: list[int]
    learning_rate_generator: float
    learning_rate_critic: float
    n_critic: int
    gp_weight: float


def encode_cells(showers: dict) -> np.ndarray:
    """(N, 504) compressed cell fractions y (see the module docstring), float32."""
    cells = flatten_layers([showers[f"layer_{i}"] for i in range(3)])
    frac = np.clip(cells, 0, None) / np.asarray(showers["energy"], dtype=np.float64)[:, None]
    return (np.log1p(frac / EPS) / _Y_SCALE).astype(np.float32)


def decode_cells(y: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode_cells`: (N, 504) cell energies in GeV."""
    frac = EPS * np.expm1(np.clip(np.asarray(y, dtype=np.float64), 0, None) * _Y_SCALE)
    return frac * np.asarray(energy, dtype=np.float64)[:, None]


def build_generator(keras, params: GanParams):
    z = keras.Input((params.latent_dim,), name="z")
    c = keras.Input((1,), name="condition")
    h = keras.layers.Concatenate()([z, c])
    for i, units in enumerate(params.generator_layers):
        h = keras.layers.Dense(units, name=f"dense_{i}")(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    h = keras.layers.Dense(N_CELLS, name="cells_linear")(h)
    out = keras.layers.ReLU(max_value=1.0, name="cells")(h)  # y in [0, 1]: 0 <= cell <= E
    return keras.Model([z, c], out, name="generator")


class LayerSums:
    """Keras layer factory: log10 of the energy fraction in each layer and in total,
    computed from the compressed cells inside the graph (differentiable), so the critic
    sees the quantities the GAN must get right directly (as the CaloGAN discriminator
    does with its energy features)."""

    @staticmethod
    def build(keras, tf):

        def sums(y):
            frac = EPS * (tf.exp(tf.clip_by_value(y, 0.0, 2.0) * _Y_SCALE) - 1.0)
            parts = [
                tf.reduce_sum(frac[:, o : o + n], axis=1, keepdims=True)
                for o, n in zip(LAYER_OFFSETS, LAYER_CELLS, strict=True)
            ]
            parts.append(tf.add_n(parts))
            return tf.math.log(tf.concat(parts, axis=1) + 1e-4) / np.log(10.0)

        return keras.layers.Lambda(sums, name="layer_sums")


def build_critic(keras, params: GanParams):
    import tensorflow as tf

    y = keras.Input((N_CELLS,), name="cells")
    c = keras.Input((1,), name="condition")
    h = keras.layers.Concatenate()([y, LayerSums.build(keras, tf)(y), c])
    for i, units in enumerate(params.critic_layers):
        h = keras.layers.Dense(units, name=f"dense_{i}")(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    out = keras.layers.Dense(1, name="score")(h)
    return keras.Model([y, c], out, name="critic")


def train(showers: dict, params: GanParams, e_range, seed: int, threads: int = 1):
    """Train generator and critic on ``showers``; return ``(generator, critic, history)``.

    ``history`` holds one value per epoch of the mean critic loss, generator loss,
    Wasserstein estimate (D(real) - D(fake)) and gradient penalty, and the epoch times.
    """

    tf, keras = import_tensorflow(seed=seed, threads=threads)
    y_all = encode_cells(showers)
    c_all = encode_energy(showers["energy"], *e_range)
    n = len(y_all)
    if n < params.batch_size:
        raise ValueError(f"{n} training showers, fewer than one batch ({params.batch_size})")
    generator, critic = build_generator(keras, params), build_critic(keras, params)
    opt_g = keras.optimizers.Adam(params.learning_rate_generator, beta_1=0.5, beta_2=0.9)
    opt_c = keras.optimizers.Adam(params.learning_rate_critic, beta_1=0.5, beta_2=0.9)
    # moments created before the steps are traced (a tf.function that creates variables
    # in its first call is traced twice)
    opt_g.build(generator.trainable_variables)
    opt_c.build(critic.trainable_variables)
    noise = tf.random.Generator.from_seed(seed)
    bs, latent = params.batch_size, params.latent_dim

    @tf.function
    def critic_step(y_real, c):
        z = noise.normal((bs, latent))
        y_fake = generator([z, c], training=True)
        eps = noise.uniform((bs, 1))
        with tf.GradientTape() as tape:
            x_hat = eps * y_real + (1 - eps) * y_fake
            with tf.GradientTape() as inner:
                inner.watch(x_hat)
                d_hat = critic([x_hat, c], training=True)
            grad = inner.gradient(d_hat, x_hat)
            gp = tf.reduce_mean((tf.sqrt(tf.reduce_sum(grad**2, axis=1) + 1e-12) - 1.0) ** 2)
            d_real = tf.reduce_mean(critic([y_real, c], training=True))
            d_fake = tf.reduce_mean(critic([y_fake, c], training=True))
            loss = d_fake - d_real + params.gp_weight * gp
        opt_c.apply_gradients(
            zip(
                tape.gradient(loss, critic.trainable_variables),
                critic.trainable_variables,
                strict=True,
            )
        )
        return loss, d_real - d_fake, gp

    @tf.function
    def generator_step(c):
        z = noise.normal((bs, latent))
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(critic([generator([z, c], training=True), c], training=True))
        opt_g.apply_gradients(
            zip(
                tape.gradient(loss, generator.trainable_variables),
                generator.trainable_variables,
                strict=True,
            )
        )
        return loss

    rng = np.random.default_rng(seed)
    history = {
        k: []
        for k in (
            "critic_loss",
            "generator_loss",
            "wasserstein",
            "gradient_penalty",
            "epoch_seconds",
        )
    }
    steps = n // bs
    start = time.perf_counter()
    for epoch in range(params.epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        sums = np.zeros(4)
        n_gen = 0
        for step in range(steps):
            batch = order[step * bs : (step + 1) * bs]
            loss, w, gp = critic_step(tf.constant(y_all[batch]), tf.constant(c_all[batch]))
            sums[:3] += (float(loss), float(w), float(gp))
            if (step + 1) % params.n_critic == 0:
                cond = c_all[rng.integers(0, n, bs)]
                sums[3] += float(generator_step(tf.constant(cond)))
                n_gen += 1
        history["critic_loss"].append(sums[0] / steps)
        history["wasserstein"].append(sums[1] / steps)
        history["gradient_penalty"].append(sums[2] / steps)
        history["generator_loss"].append(sums[3] / max(n_gen, 1))
        history["epoch_seconds"].append(time.perf_counter() - t0)
        log.info(
            "epoch %3d/%d: critic loss %.4f, generator loss %.4f, W estimate %.4f, GP %.4f (%.1f s)",
            epoch + 1,
            params.epochs,
            history["critic_loss"][-1],
            history["generator_loss"][-1],
            history["wasserstein"][-1],
            history["gradient_penalty"][-1],
            history["epoch_seconds"][-1],
        )
    history["train_seconds"] = time.perf_counter() - start
    return generator, critic, history


_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _predictor(generator, latent_dim: int):
    """The generator's forward pass as one compiled graph for any batch size (cached): an
    eager Keras call costs milliseconds of Python overhead, which would dominate the time
    per shower at batch size 1."""
    if generator not in _PREDICTORS:
        import tensorflow as tf

        spec = (tf.TensorSpec((None, latent_dim), tf.float32), tf.TensorSpec((None, 1), tf.float32))
        _PREDICTORS[generator] = tf.function(
            lambda z, c: generator([z, c], training=False), input_signature=spec
        )
    return _PREDICTORS[generator]


def generate(
    generator,
    energy,
    e_range,
    latent_dim: int,
    rng: np.random.Generator,
    batch_size: int = 10000,
    energy_flow=None,
) -> dict:
    """Showers (CaloGAN keys) for the incident ``energy`` values (GeV).

    With ``energy_flow`` (a :class:`lhcml.calo.energyflow.LayerEnergyFlow`) each layer's
    cells are rescaled to the layer energy the flow samples for that shower (the GAN gives
    the shape, the flow the energies). The GAN models the cells only: ``overflow`` is
    returned as zeros.
    """
    energy = np.asarray(energy, dtype=np.float64).ravel()
    cells = np.empty((energy.size, N_CELLS))
    c = encode_energy(energy, *e_range)
    predict = _predictor(generator, latent_dim)
    for lo in range(0, energy.size, batch_size):
        hi = min(lo + batch_size, energy.size)
        z = rng.standard_normal((hi - lo, latent_dim)).astype(np.float32)
        y = predict(z, c[lo:hi]).numpy()
        cells[lo:hi] = decode_cells(y, energy[lo:hi])
        if energy_flow is not None:
            cells[lo:hi] = rescale_layers(cells[lo:hi], energy_flow.sample(energy[lo:hi], rng))
    return showers_from_cells(energy, cells)


def params_dict(params: GanParams) -> dict:
    return asdict(params)
