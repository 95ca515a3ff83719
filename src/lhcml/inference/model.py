"""The zfit model of the soft-drop mass in a tagger's pass region.

    pdf(m) = [mu s_W DCB_W(m) + mu s_Z DCB_Z(m) + n_bkg B_k(m)] / N       on [m_lo, m_hi]

* ``DCB_W``, ``DCB_Z``: double-sided Crystal Ball peaks (Gaussian core, power-law tails on
  both sides) with shapes from an unbinned fit to simulated W- and Z-matched jets of the
  template split in the same pass region (:func:`fit_peak`), then fixed in the data fit.
  The Z fit takes its tail parameters from the W fit (the Z sample is smaller) and fits
  its own mean and width.
* ``s_W``, ``s_Z``: expected W and Z yields in the pass region and mass range at the
  pseudo-data luminosity (simulation, template split, :mod:`.yields`): the W:Z ratio is
  fixed to the simulated one and one signal strength ``mu`` scales both.
* ``B_k``: a Bernstein polynomial of order ``k`` for the QCD (and other) background, with
  the first coefficient fixed to 1 (the normalisation is the yield ``n_bkg``) and the
  others floating as ``c_i = theta_i^2`` (non-negative, so the density is, without a
  bound at 0 on which Minuit could stop and invalidate the fit), ``n_bkg`` floating.

The likelihood is extended and unbinned (:func:`nll`): the fitted ``mu`` and ``n_bkg``
carry the Poisson fluctuation of the event count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import zfit

#: Smallest background yield (events) of a valid fit in the pass region.
BACKGROUND_FLOOR = 1.0

#: W and Z boson masses (GeV, PDG).
M_W, M_Z = 80.37, 91.19

#: Names of the double-sided Crystal Ball shape parameters, in zfit's order.
DCB_PARAMS: tuple[str, ...] = ("mean", "sigma", "alphal", "nl", "alphar", "nr")


def mass_space(low: float, high: float):
    """The observable ``msd`` on the fit range [low, high] GeV."""
    return zfit.Space("msd", limits=(float(low), float(high)))


def data(obs, msd: np.ndarray, weights: np.ndarray | None = None):
    """A zfit data set of soft-drop masses (GeV) inside ``obs``."""
    low, high = (float(x) for x in np.ravel(obs.v1.limits))
    msd = np.asarray(msd, np.float64)
    sel = (msd >= low) & (msd <= high)
    w = None if weights is None else np.asarray(weights, np.float64)[sel]
    return zfit.Data.from_numpy(obs=obs, array=msd[sel][:, None], weights=w)


def mutable_data(obs, msd: np.ndarray):
    """A zfit data set whose events can be replaced (``update_data``) without recompiling.

    A likelihood built on it is compiled once; loading another data set of the same
    observable (any number of events) reuses the compiled graph.
    """
    msd = np.asarray(msd, np.float64)[:, None]
    return zfit.data.SamplerData.from_sampler(
        sample_func=lambda n, params, x=msd: x, n=len(msd), obs=obs
    )


def load(dataset, obs, msd: np.ndarray) -> int:
    """Replace the events of a :func:`mutable_data` set by ``msd`` inside ``obs``; return n."""
    low, high = (float(x) for x in np.ravel(obs.v1.limits))
    msd = np.asarray(msd, np.float64)
    msd = msd[(msd >= low) & (msd <= high)]
    dataset.update_data(msd[:, None])
    return len(msd)


@dataclass
class PeakShape:
    """Fitted double-sided Crystal Ball shape (GeV) with Hesse errors and fit status."""

    values: dict[str, float]
    errors: dict[str, float | None] = field(default_factory=dict)
    valid: bool = True
    n_jets: int = 0

    def to_dict(self) -> dict:
        return {"values": self.values, "errors": self.errors, "valid": self.valid,
                "n_jets": self.n_jets}  # fmt: skip


def dcb(obs, prefix: str, values: dict[str, float], floating=(), limits=None, extended=None):
    """A DoubleCB pdf; parameters in ``floating`` float (within ``limits``), others fixed.

    ``extended``: the yield parameter of an extended pdf (None: not extended).
    """
    limits = limits or {}
    params = {}
    for name in DCB_PARAMS:
        lo, hi = limits.get(name, (None, None))
        params[name] = zfit.Parameter(f"{prefix}_{name}", float(values[name]), lo, hi,
                                      floating=name in floating)  # fmt: skip
    pdf = zfit.pdf.DoubleCB(
        mu=params["mean"], sigma=params["sigma"], alphal=params["alphal"], nl=params["nl"],
        alphar=params["alphar"], nr=params["nr"], obs=obs, name=f"{prefix}_peak",
        extended=extended,
    )  # fmt: skip
    return pdf, params


def fit_peaks(
    obs, msd_w: np.ndarray, msd_z: np.ndarray, start: dict[str, float], minimizer=None,
    min_jets: int = 10,
) -> dict[str, PeakShape]:  # fmt: skip
    """Unbinned fits of a DoubleCB to simulated W and Z jets (the template shapes, GeV).

    W: mean, width and both tail starts ``alphal``, ``alphar`` float; the tail exponents
    ``nl``, ``nr`` stay at their start values. Z: mean and width float, tails from the W
    fit (the Z sample is about half the W one). The jets of a generated sample have
    equal weights, so the fits are unweighted. One compiled likelihood serves both fits.
    A peak with fewer than ``min_jets`` jets in the range is reported invalid.
    """
    low, high = (float(x) for x in np.ravel(obs.v1.limits))
    limits = {
        "mean": (low, high), "sigma": (1.0, (high - low) / 2), "alphal": (0.2, 10.0),
        "alphar": (0.2, 10.0), "nl": (1.01, 100.0), "nr": (1.01, 100.0),
    }  # fmt: skip
    pdf, params = dcb(obs, "template", start, floating=("mean", "sigma", "alphal", "alphar"),
                      limits=limits)  # fmt: skip
    dataset = mutable_data(obs, np.array([0.5 * (low + high)]))
    loss = zfit.loss.UnbinnedNLL(model=pdf, data=dataset)
    opt = minimizer or zfit.minimize.Minuit()
    shapes = {}
    for name, msd in (("W", msd_w), ("Z", msd_z)):
        n_jets = load(dataset, obs, msd)
        if name == "Z":
            for tail in ("alphal", "alphar"):
                params[tail].floating = False
            scale = M_Z / M_W  # start the Z peak where the W peak is, scaled by the masses
            zfit.param.set_values([params["mean"], params["sigma"]],
                                  [params["mean"].value() * scale,
                                   params["sigma"].value() * scale])  # fmt: skip
        if n_jets < min_jets:
            shapes[name] = PeakShape(values={k: float(p.value()) for k, p in params.items()},
                                     valid=False, n_jets=n_jets)  # fmt: skip
            continue
        result = opt.minimize(loss)
        values = {k: float(p.value()) for k, p in params.items()}
        if not result.valid:
            shapes[name] = PeakShape(values=values, valid=False, n_jets=n_jets)
            continue
        hesse = result.hesse(name="hesse")
        errors = {k: float(hesse[p]["error"]) if p in hesse else None for k, p in params.items()}
        shapes[name] = PeakShape(values=values, errors=errors, valid=True, n_jets=n_jets)
    return shapes


@dataclass
class SignalBackgroundModel:
    """The extended model and its parameters (see the module docstring)."""

    obs: object
    pdf: object
    mu: object
    n_bkg: object
    coeffs: list
    s_w: float
    s_z: float
    components: dict

    @property
    def floating(self) -> list:
        """The free parameters of the data fit: mu, n_bkg, theta_1..theta_k."""
        return [self.mu, self.n_bkg, *self.coeffs]

    @property
    def floors(self) -> dict:
        """Parameters that a valid fit keeps above a floor: the background yield >= 1 event
        (a fit that gives every event to the signal is a boundary solution)."""
        return {self.n_bkg: BACKGROUND_FLOOR}

    def start_values(self, n_data: float, mu: float = 1.0) -> dict:
        """Starting point of a fit to ``n_data`` events (coefficients 1: a flat background)."""
        n_sig = mu * (self.s_w + self.s_z)
        return {self.mu: mu, self.n_bkg: max(n_data - n_sig, 1.0),
                **{c: 1.0 for c in self.coeffs}}  # fmt: skip

    def set_values(self, values: dict) -> None:
        zfit.param.set_values(list(values), [float(v) for v in values.values()])


def build_model(
    obs, w_shape: dict[str, float], z_shape: dict[str, float], s_w: float, s_z: float,
    order: int, mu_limits=(-50.0, 500.0), n_bkg_max: float = 1e7, prefix: str = "",
) -> SignalBackgroundModel:  # fmt: skip
    """The signal + background model with fixed peak shapes and one signal strength mu.

    ``s_w`` and ``s_z`` are the expected W and Z yields for ``mu = 1`` in the fit range.
    """
    if s_w + s_z <= 0:
        raise ValueError("the expected signal yield in the fit range is zero")
    p = f"{prefix}_" if prefix else ""
    mu = zfit.Parameter(f"{p}mu", 1.0, *mu_limits, step_size=0.1)
    n_w = zfit.ComposedParameter(f"{p}n_W", lambda params: params["mu"] * s_w, params={"mu": mu})
    n_z = zfit.ComposedParameter(f"{p}n_Z", lambda params: params["mu"] * s_z, params={"mu": mu})
    w_ext, _ = dcb(obs, f"{p}W", w_shape, extended=n_w)
    z_ext, _ = dcb(obs, f"{p}Z", z_shape, extended=n_z)
    one = zfit.Parameter(f"{p}bern_c0", 1.0, floating=False)
    # c_i = theta_i^2: non-negative without a bound that Minuit could end on
    coeffs = [zfit.Parameter(f"{p}bern_theta{i}", 1.0, -30.0, 30.0) for i in range(1, order + 1)]
    squares = [
        zfit.ComposedParameter(f"{p}bern_c{i}", lambda params: params["t"] ** 2, params={"t": t})
        for i, t in enumerate(coeffs, start=1)
    ]
    n_bkg = zfit.Parameter(f"{p}n_bkg", 100.0, 0.0, n_bkg_max)
    b_ext = zfit.pdf.Bernstein(obs=obs, coeffs=[one, *squares], name=f"{p}qcd", extended=n_bkg)
    total = zfit.pdf.SumPDF([w_ext, z_ext, b_ext], name=f"{p}total")
    return SignalBackgroundModel(
        obs=obs, pdf=total, mu=mu, n_bkg=n_bkg, coeffs=coeffs, s_w=float(s_w), s_z=float(s_z),
        components={"W": w_ext, "Z": z_ext, "background": b_ext},
    )  # fmt: skip


def nll(model: SignalBackgroundModel, dataset):
    """The extended unbinned negative log-likelihood of ``dataset``."""
    return zfit.loss.ExtendedUnbinnedNLL(model=model.pdf, data=dataset)


def curves(model: SignalBackgroundModel, n_points: int = 400, bin_width: float = 1.0) -> dict:
    """Expected events per ``bin_width`` GeV of the total and of each component on a grid."""
    low, high = (float(x) for x in np.ravel(model.obs.v1.limits))
    x = np.linspace(low, high, n_points)
    out = {"msd": x.tolist()}
    total = np.zeros_like(x)
    for name, comp in model.components.items():
        y = np.asarray(comp.ext_pdf(x)) * bin_width
        out[name] = y.tolist()
        total += y
    out["total"] = total.tolist()
    return out
