"""Layer energies of a shower from a conditional normalising flow (CaloFlow's "Flow I").

The GAN (:mod:`lhcml.calo.gan`) generates the 504 cells at once, and its total energy is
the sum of cells whose compressed values it gets right only to a few per cent each, so
E_tot / E_inc comes out far broader than the calorimeter resolution (1-3% for e+). As in
CaloFlow (Krause & Shih, arXiv:2106.05285), the energy deposited in each layer is learnt
by a separate model, p(E_0, E_1, E_2 | E_inc), and the generated cells of each layer are
rescaled to that energy: the GAN supplies the shower shape, the flow its energies.

Model
    Codes ``u_l = log10(E_l / E_inc + FLOOR)`` (``FLOOR`` = 1e-5 keeps empty layers finite),
    standardised with the training mean and standard deviation, are the image of a
    standard normal under a masked autoregressive flow (Papamakarios et al. 2017):
    ``n_mades`` :class:`tfp.bijectors.MaskedAutoregressiveFlow` blocks (MADE networks
    with ``hidden_units`` ReLU layers, conditioned on the incident-energy condition ``c``
    of :func:`lhcml.calo.encoding.encode_energy`), with a cyclic permutation of the three
    dimensions between blocks. Trained by maximum likelihood (Adam); TensorFlow
    Probability provides the bijectors. The learning rate decays to 0 (cosine) over the
    epochs and gradients are clipped to norm 1.

Sampling draws the normal vectors from the caller's NumPy generator (so generation is as
reproducible as the GAN's latent vectors), maps them through the flow, and clips each layer
fraction to [0, ``MAX_FRACTION``].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from lhcml.calo.encoding import encode_energy, rescale_layers
from lhcml.calo.flowfit import fit_by_likelihood
from lhcml.calo.geometry import LAYER_CELLS, LAYER_OFFSETS, N_LAYERS, flatten_layers, split_layers
from lhcml.calo.weights import SavedFlow
from lhcml.config import ConfigSection
from lhcml.tf_setup import import_tensorflow

#: Added to the layer fraction before the logarithm (an empty layer has code -5).
FLOOR = 1e-5
#: Largest layer energy / incident energy a sample may have.
MAX_FRACTION = 1.5
#: Bound on each block's shift and log scale (standardised codes): keeps training stable.
CLIP = 5.0


@dataclass(frozen=True)
class FlowParams(ConfigSection, section="calo.energy_flow"):
    """Flow hyperparameters (config section ``calo.energy_flow``; defaults: the schema's)."""

    n_mades: int
    hidden_units: list[int]
    epochs: int
    batch_size: int
    learning_rate: float


def layer_energies(showers: dict) -> np.ndarray:
    """(N, 3) energy deposited in each layer (GeV; negative cells count as 0)."""
    cells = np.clip(flatten_layers([showers[f"layer_{i}"] for i in range(N_LAYERS)]), 0, None)
    return np.stack(
        [cells[:, o : o + n].sum(axis=1) for o, n in zip(LAYER_OFFSETS, LAYER_CELLS, strict=True)],
        axis=1,
    )


def encode_layers(energies: np.ndarray, incident: np.ndarray) -> np.ndarray:
    """Codes ``log10(E_l / E_inc + FLOOR)``, (N, 3) float64."""
    incident = np.asarray(incident, dtype=np.float64)[:, None]
    return np.log10(np.asarray(energies, dtype=np.float64) / incident + FLOOR)


def decode_layers(codes: np.ndarray, incident: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode_layers`, fractions clipped to [0, MAX_FRACTION]: GeV."""
    frac = np.clip(10.0 ** np.asarray(codes, dtype=np.float64) - FLOOR, 0.0, MAX_FRACTION)
    return frac * np.asarray(incident, dtype=np.float64)[:, None]


def rescale_showers(showers: dict, targets: np.ndarray) -> dict:
    """``showers`` (CaloGAN keys) with :func:`rescale_layers` applied to the cells."""
    cells = flatten_layers([showers[f"layer_{i}"] for i in range(N_LAYERS)])
    out = dict(showers)
    for i, image in enumerate(split_layers(rescale_layers(cells, targets))):
        out[f"layer_{i}"] = image
    return out


class LayerEnergyFlow(SavedFlow):
    """The conditional flow p(u | c) and its standardisation of the codes."""

    PARAMS = FlowParams
    ARRAYS = ("mean", "std", "e_range")
    WHAT = "flow"

    def __init__(self, params: FlowParams, mean, std, e_range):

        tf, _ = import_tensorflow()  # no-op when TensorFlow is already set up (threads kept)
        import tensorflow_probability as tfp

        self.params = params
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        self.e_range = tuple(float(e) for e in e_range)
        self._tf, self._tfp = tf, tfp
        self.mades = [
            tfp.bijectors.AutoregressiveNetwork(
                params=2,
                event_shape=(N_LAYERS,),
                hidden_units=list(params.hidden_units),
                conditional=True,
                conditional_event_shape=(1,),
                activation="relu",
            )
            for _ in range(params.n_mades)
        ]
        self.log_prob(np.zeros((1, N_LAYERS), np.float32), np.zeros((1, 1), np.float32))
        # sampling as one traced graph for any batch size: building the bijector chain
        # eagerly costs ~0.3 s per call, which would dominate small batches
        spec = (tf.TensorSpec((None, N_LAYERS), tf.float32), tf.TensorSpec((None, 1), tf.float32))
        self._forward = tf.function(lambda z, c: self._bijector(c).forward(z), input_signature=spec)

    def _bijector(self, cond):
        tfb = self._tfp.bijectors
        tf = self._tf
        blocks = []
        for made in self.mades:

            def shift_and_log_scale(y, *_, made=made, **__):
                out = tf.clip_by_value(made(y, conditional_input=cond), -CLIP, CLIP)
                return tf.unstack(out, axis=-1)  # shift, log scale

            blocks += [
                tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=shift_and_log_scale),
                tfb.Permute([*list(range(1, N_LAYERS)), 0]),
            ]
        return tfb.Chain(blocks[::-1][1:])  # the last permutation is dropped

    def _distribution(self, cond):
        tfd = self._tfp.distributions
        base = tfd.MultivariateNormalDiag(loc=self._tf.zeros(N_LAYERS))
        return tfd.TransformedDistribution(base, self._bijector(cond))

    def log_prob(self, u_std, cond):
        """log p of standardised codes given conditions (TensorFlow tensors)."""
        return self._distribution(cond).log_prob(u_std)

    @property
    def trainable_variables(self):
        return [v for made in self.mades for v in made.trainable_variables]

    def standardise(self, codes: np.ndarray) -> np.ndarray:
        return ((codes - self.mean) / self.std).astype(np.float32)

    def condition(self, incident) -> np.ndarray:
        return encode_energy(incident, *self.e_range)

    def sample(self, incident, rng: np.random.Generator) -> np.ndarray:
        """(N, 3) layer energies (GeV) for the incident energies (GeV)."""
        incident = np.asarray(incident, dtype=np.float64).ravel()
        z = rng.standard_normal((incident.size, N_LAYERS)).astype(np.float32)
        u_std = self._forward(self._tf.constant(z), self._tf.constant(self.condition(incident)))
        u_std = u_std.numpy().astype(np.float64)
        return decode_layers(u_std * self.std + self.mean, incident)


def train(showers: dict, params: FlowParams, e_range, seed: int, threads: int = 1):
    """Fit the flow to the layer energies of ``showers``; return ``(flow, history)``.

    ``history``: the mean negative log-likelihood (standardised codes, nats) per epoch and
    the training time.
    """

    import_tensorflow(seed=seed, threads=threads)  # seeds the initial weights
    codes = encode_layers(layer_energies(showers), showers["energy"])
    std = codes.std(axis=0)
    flow = LayerEnergyFlow(params, codes.mean(axis=0), np.where(std > 0, std, 1.0), e_range)
    u, c = flow.standardise(codes), flow.condition(showers["energy"])
    rng = np.random.default_rng(seed)
    history = fit_by_likelihood(flow, u, c, params, rng, name="energy flow", log_every=10)
    return flow, history


def params_dict(params: FlowParams) -> dict:
    return asdict(params)
