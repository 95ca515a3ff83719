"""The shower shape from a conditional normalising flow (CaloFlow's "Flow II", coupling form).

CaloFlow (Krause & Shih, arXiv:2106.05285) splits a shower into its layer energies,
p(E_0, E_1, E_2 | E_inc) (here :mod:`lhcml.calo.energyflow`), and the shape of each layer,
p(x | E_inc, E_0, E_1, E_2), with x the 504 cells divided by their layer's energy. This
module is the second flow. CaloFlow's masked autoregressive flow samples one voxel after
the other (504 network passes per shower); to train in minutes and sample in one pass on
a CPU, this flow is built of coupling layers (RealNVP, Dinh et al.,
arXiv:1605.08803) from TensorFlow Probability instead.

Preprocessing (CaloFlow's, section 3 of the paper, with two changes)
    1. each cell is divided by its layer's energy: x in [0, 1], summing to 1 per layer
       (x = 0 in a layer without energy);
    2. dequantisation: ``x (1 - noise) + U(0, noise)``, so that empty cells get a
       continuous density (CaloFlow adds the noise in GeV; here it is a fraction of the
       layer energy, so the empty cells sit at the same codes whatever the layer's
       energy, and the gap between them and the smallest real cells grows as the layer's
       energy falls);
    3. ``logit(ALPHA + (1 - 2 ALPHA) x)`` (ALPHA = 1e-10) maps x to the real line;
    4. each of the 504 codes is standardised with its training mean and a scale: its
       standard deviation, at least ``MIN_STD`` and at least its largest training
       deviation from the mean over ``CODE_RANGE``, so that every training code lies
       inside the splines' interval ``[-BOUND, BOUND]``. (With the standard deviation
       alone, the rare hits of nearly always empty cells, e.g. the far lateral tails of
       layer 0, lay beyond it, where the flow is the identity and cannot put them: the
       generated layer-0 showers were too narrow.)
    The condition is the incident-energy code of :func:`lhcml.calo.encoding.encode_energy`
    and the three standardised layer-energy codes of :mod:`lhcml.calo.energyflow`.

Model
    ``n_couplings`` blocks; each transforms half of the (fixed, pseudo-randomly permuted)
    codes, given the other half and the condition through a dense network
    (``hidden_units``, ReLU; the condition enters both its first and its output layer, so
    the spline parameters can follow the energies directly: the number of hit cells of a
    layer grows with its energy, which the network fed the condition only at its input
    learned too weakly), by a monotonic rational-quadratic spline of ``spline_bins``
    bins per code (Durkan et al., "Neural spline flows", arXiv:1906.04032; CaloFlow's
    transformation), or with ``spline_bins: 0`` by an affine map (shift and log scale
    bounded by ``CLIP tanh(./CLIP)``). Splines can make the two-peaked distribution of a
    cell's code (empty or hit) that an affine map cannot. The last layer of each network
    starts at zero, so the flow starts as the identity. Maximum likelihood, Adam, cosine learning-rate decay to 0, gradients
    clipped to norm 1. The number of optimiser steps matters more than the epochs: small
    batches (32) train a better flow in less time than large ones (256) for more epochs.

Generation
    The layer energies come from the layer-energy flow; standard normal vectors (from the
    caller's NumPy generator) go through the flow and the preprocessing is inverted
    (:func:`postprocess`): fractions at or below ``noise`` are empty cells, each layer is
    renormalised to sum to 1 and multiplied by its energy, and cells below ``threshold``
    GeV are set to zero (CaloFlow's threshold). A layer with energy whose cells all came
    out empty gets its energy in its largest cell (renormalising the noise would have
    spread it evenly over the layer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from lhcml.calo.encoding import encode_energy
from lhcml.calo.energyflow import encode_layers, layer_energies
from lhcml.calo.flowfit import fit_by_likelihood
from lhcml.calo.geometry import (
    LAYER_CELLS,
    LAYER_OFFSETS,
    N_CELLS,
    N_LAYERS,
    flatten_layers,
    showers_from_cells,
)
from lhcml.calo.weights import SavedFlow
from lhcml.config import ConfigSection
from lhcml.tf_setup import import_tensorflow

#: Logit regulator (CaloFlow's is 1e-6; here smaller, so that the dequantised empty cells
#: lie far below the smallest real cells in logit space).
ALPHA = 1e-10
#: Floor of the standard deviation of each code (logit units) in the standardisation: a
#: cell that is nearly always empty has a tiny spread, and a rare hit would otherwise be
#: hundreds of standard deviations away (spikes in the training loss).
MIN_STD = 0.5
#: Every training code lies within CODE_RANGE scales of its mean (inside BOUND).
CODE_RANGE = 4.5
#: Bound on the log scale of each coupling.
CLIP = 3.0
#: Splines act on [-BOUND, BOUND] (standardised codes), the identity outside.
BOUND = 5.0
MIN_BIN = 1e-3
MIN_SLOPE = 1e-3
#: Seed of the fixed permutations between couplings (part of the architecture, not of the
#: training: a saved flow must be rebuilt with the same permutations).
PERMUTATION_SEED = 504


@dataclass(frozen=True)
class ShapeFlowParams(ConfigSection, section="calo.shape_flow"):
    """Shape-flow hyperparameters (config section ``calo.shape_flow``; defaults: the schema's)."""

    n_couplings: int
    hidden_units: list[int]
    epochs: int
    batch_size: int
    learning_rate: float
    noise: float
    threshold: float
    spline_bins: int


def _layer_sums(cells: np.ndarray) -> np.ndarray:
    return np.stack(
        [cells[:, o : o + n].sum(axis=1) for o, n in zip(LAYER_OFFSETS, LAYER_CELLS, strict=True)],
        axis=1,
    )


def _per_cell(layer_values: np.ndarray) -> np.ndarray:
    """(N, 3) -> (N, 504): each layer's value repeated over its cells."""
    return np.repeat(layer_values, LAYER_CELLS, axis=1)


def preprocess(showers: dict, noise: float, rng: np.random.Generator):
    """(logit codes (N, 504), layer energies (N, 3) GeV) of ``showers``.

    Each cell's fraction x of its layer's energy (0 for a layer without energy) is
    dequantised as ``x (1 - noise) + U(0, noise)`` and mapped to
    ``logit(ALPHA + (1 - 2 ALPHA) x)``."""
    cells = np.clip(flatten_layers([showers[f"layer_{i}"] for i in range(N_LAYERS)]), 0, None)
    energies = _layer_sums(cells)
    e = _per_cell(energies)
    x = np.divide(cells, e, out=np.zeros_like(cells), where=e > 0)
    x = x * (1 - noise) + rng.uniform(0.0, noise, cells.shape)
    u = ALPHA + (1 - 2 * ALPHA) * x
    return np.log(u) - np.log1p(-u), energies


def postprocess(codes: np.ndarray, energies: np.ndarray, noise: float, threshold: float):
    """Inverse of :func:`preprocess` given the layer energies (GeV): (N, 504) cells, GeV.

    Fractions at or below the dequantisation ``noise`` are empty cells; the rest of each
    layer is renormalised to its energy (a layer with energy but no cell above the noise
    gets it all in its largest cell), and cells below ``threshold`` GeV are set to zero."""
    u = 1.0 / (1.0 + np.exp(-np.asarray(codes, dtype=np.float64)))
    raw = np.clip((u - ALPHA) / (1 - 2 * ALPHA), 0.0, 1.0)
    x = np.where(raw > noise, raw, 0.0)
    for o, n in zip(LAYER_OFFSETS, LAYER_CELLS, strict=True):
        layer = x[:, o : o + n]  # a view: writes go to x
        rows = np.flatnonzero(~layer.any(axis=1))
        layer[rows, raw[rows, o : o + n].argmax(axis=1)] = 1.0
    sums = _layer_sums(x)
    x = x / _per_cell(sums)
    cells = x * _per_cell(np.asarray(energies, dtype=np.float64))
    return np.where(cells >= threshold, cells, 0.0)


class ShapeFlow(SavedFlow):
    """The conditional coupling flow p(codes | E_inc, E_0..2) and its standardisations."""

    PARAMS = ShapeFlowParams
    ARRAYS = ("mean", "std", "layer_mean", "layer_std", "e_range")
    WHAT = "shape flow"

    def __init__(self, params: ShapeFlowParams, mean, std, layer_mean, layer_std, e_range):

        tf, keras = import_tensorflow()  # no-op when TensorFlow is already set up
        import tensorflow_probability as tfp

        self.params = params
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        self.layer_mean = np.asarray(layer_mean, dtype=np.float64)
        self.layer_std = np.asarray(layer_std, dtype=np.float64)
        self.e_range = tuple(float(e) for e in e_range)
        self._tf, self._tfp = tf, tfp
        perm_rng = np.random.default_rng(PERMUTATION_SEED)
        self.permutations = [perm_rng.permutation(N_CELLS) for _ in range(params.n_couplings)]
        self._inverse_permutations = [np.argsort(p) for p in self.permutations]
        self.n_masked = N_CELLS // 2
        n_out = (N_CELLS - self.n_masked) * self._params_per_code()
        self.nets = []
        for i in range(params.n_couplings):
            inp = keras.Input((self.n_masked + 1 + N_LAYERS,))
            h = inp
            for units in params.hidden_units:
                h = keras.layers.Dense(units, activation="relu")(h)
            # the condition also goes straight to the output layer (see the docstring)
            h = keras.layers.Concatenate()([h, inp[:, self.n_masked :]])
            out = keras.layers.Dense(n_out, kernel_initializer="zeros")(h)
            self.nets.append(keras.Model(inp, out, name=f"coupling_{i}"))
        spec = (
            tf.TensorSpec((None, N_CELLS), tf.float32),
            tf.TensorSpec((None, 1 + N_LAYERS), tf.float32),
        )
        # sampling compiled by XLA (once per batch size): 10k showers 4.9 -> 1.6 s, one core
        self._forward = tf.function(
            lambda z, c: self._bijector(c).forward(z), input_signature=spec, jit_compile=True
        )

    def _bijector(self, cond):
        """The flow as a TFP bijector from the base space to the codes (sampling)."""
        tfb = self._tfp.bijectors
        blocks = []
        for net, perm in zip(self.nets, self.permutations, strict=True):

            def bijector_fn(x0, output_units, net=net, **_):
                return self._coupling(net(self._tf.concat([x0, cond], axis=-1)), output_units)

            blocks += [
                tfb.Permute(perm.tolist()),
                tfb.RealNVP(num_masked=self.n_masked, bijector_fn=bijector_fn),
            ]
        return tfb.Chain(blocks[::-1])  # Chain applies its last bijector first

    def _coupling(self, out, n_codes):
        """The transformation of the ``n_codes`` unmasked codes given the network output."""
        tf, tfb = self._tf, self._tfp.bijectors
        if self.params.spline_bins:
            return self._spline(out, n_codes)
        shift, raw = tf.split(out, 2, axis=-1)
        log_scale = CLIP * tf.tanh(raw / CLIP)
        return tfb.Chain([tfb.Shift(shift), tfb.Scale(log_scale=log_scale)])

    def _params_per_code(self) -> int:
        k = self.params.spline_bins
        return 3 * k - 1 if k else 2

    def _spline(self, out, n_codes):
        """Rational-quadratic spline (Durkan et al., arXiv:1906.04032) on [-BOUND, BOUND]
        per code (identity outside) from the network output: ``spline_bins`` widths and
        heights (softmax, at least MIN_BIN) and ``spline_bins - 1`` inner knot slopes
        (softplus, at least MIN_SLOPE); zero output is the identity."""
        tf, tfb = self._tf, self._tfp.bijectors
        k = self.params.spline_bins
        out = tf.reshape(out, tf.concat([tf.shape(out)[:-1], [n_codes, 3 * k - 1]], axis=0))
        widths, heights, slopes = tf.split(out, [k, k, k - 1], axis=-1)

        def bins(x):
            return tf.math.softmax(x, axis=-1) * (2 * BOUND - k * MIN_BIN) + MIN_BIN

        # softplus(x + ln(e - 1)) = 1 at x = 0: the zero network output is the identity
        slopes = tf.math.softplus(slopes + np.log(np.expm1(1.0 - MIN_SLOPE))) + MIN_SLOPE
        return tfb.RationalQuadraticSpline(bins(widths), bins(heights), slopes, range_min=-BOUND)

    def log_prob(self, codes_std, cond):
        """log p of standardised codes given conditions (TensorFlow tensors).

        The inverse of :meth:`_bijector` written out block by block (the last coupling
        first, each followed by its inverse permutation) into the standard normal base,
        summing the couplings' log-determinants. TFP's ``TransformedDistribution`` of the
        same chain gives the same values (a test), but its training step took 1.6 times
        as long under XLA (a default-config step on one core: 26 -> 16 ms for the loss
        and its gradient)."""
        tf = self._tf
        n_free = N_CELLS - self.n_masked
        z, log_det = codes_std, 0.0
        for net, inverse in zip(self.nets[::-1], self._inverse_permutations[::-1], strict=True):
            x0, x1 = z[:, : self.n_masked], z[:, self.n_masked :]
            coupling = self._coupling(net(tf.concat([x0, cond], axis=-1)), n_free)
            log_det += tf.reduce_sum(coupling.inverse_log_det_jacobian(x1, event_ndims=0), -1)
            z = tf.gather(tf.concat([x0, coupling.inverse(x1)], axis=-1), inverse, axis=-1)
        return log_det - 0.5 * tf.reduce_sum(z * z, axis=-1) - 0.5 * N_CELLS * np.log(2 * np.pi)

    @property
    def trainable_variables(self):
        return [v for net in self.nets for v in net.trainable_variables]

    def condition(self, incident, energies) -> np.ndarray:
        """(N, 4) float32: incident-energy code and standardised layer-energy codes."""
        layers = (encode_layers(energies, incident) - self.layer_mean) / self.layer_std
        return np.concatenate([encode_energy(incident, *self.e_range), layers], axis=1).astype(
            np.float32
        )

    def sample(self, incident, energies, rng: np.random.Generator) -> np.ndarray:
        """(N, 504) cells (GeV) for incident energies (N,) and layer energies (N, 3), GeV."""
        incident = np.asarray(incident, dtype=np.float64).ravel()
        z = rng.standard_normal((incident.size, N_CELLS)).astype(np.float32)
        cond = self.condition(incident, energies)
        codes = self._forward(self._tf.constant(z), self._tf.constant(cond)).numpy()
        codes = codes.astype(np.float64) * self.std + self.mean
        return postprocess(codes, energies, self.params.noise, self.params.threshold)


def train(showers: dict, params: ShapeFlowParams, e_range, seed: int, threads: int = 1):
    """Fit the shape flow to ``showers``; return ``(flow, history)``.

    ``history``: the mean negative log-likelihood per code (standardised, nats) per epoch,
    the epoch times and the training time. Noise, shuffling and initial weights are seeded.
    """

    import_tensorflow(seed=seed, threads=threads)  # seeds the initial weights
    rng = np.random.default_rng(seed)
    codes, _energies = preprocess(showers, params.noise, rng)
    mean = codes.mean(axis=0)
    spread = np.abs(codes - mean).max(axis=0) / CODE_RANGE
    std = np.maximum(codes.std(axis=0), spread)
    layer_codes = encode_layers(layer_energies(showers), showers["energy"])
    layer_std = layer_codes.std(axis=0)
    flow = ShapeFlow(
        params,
        mean,
        np.maximum(std, MIN_STD),
        layer_codes.mean(axis=0),
        np.where(layer_std > 0, layer_std, 1.0),
        e_range,
    )
    x = ((codes - flow.mean) / flow.std).astype(np.float32)
    c = flow.condition(showers["energy"], layer_energies(showers))
    history = fit_by_likelihood(flow, x, c, params, rng, per=N_CELLS, name="shape flow")
    return flow, history


def generate(
    flow: ShapeFlow, energy_flow, energy, rng: np.random.Generator, batch_size: int = 10000
) -> dict:
    """Showers (CaloGAN keys) for the incident ``energy`` values (GeV): layer energies from
    ``energy_flow`` (:class:`lhcml.calo.energyflow.LayerEnergyFlow`), shapes from ``flow``.
    The flows model the cells only: ``overflow`` is returned as zeros."""
    energy = np.asarray(energy, dtype=np.float64).ravel()
    cells = np.empty((energy.size, N_CELLS))
    for lo in range(0, energy.size, batch_size):
        hi = min(lo + batch_size, energy.size)
        layers = energy_flow.sample(energy[lo:hi], rng)
        cells[lo:hi] = flow.sample(energy[lo:hi], layers, rng)
    return showers_from_cells(energy, cells)


def params_dict(params: ShapeFlowParams) -> dict:
    return asdict(params)
