"""The reference simulation: a GFlash-style parametrised shower simulator (CaloGAN geometry).

Geant4 cannot run here (its data sets cannot be downloaded), so the reference showers come
from a stochastic parametrisation of shower development in the effective Pb/LAr medium of
:mod:`lhcml.calo.geometry` (X0 = 15.6 mm, R_M = 35.5 mm, lambda_int = 374 mm, Z_eff = 69).
Energies in GeV, lengths in mm; depths t in radiation lengths where said.

Electromagnetic showers (e+, gamma, and the pi0 part of hadronic showers)
    Grindhammer & Peters, "The parameterized simulation of electromagnetic showers in
    homogeneous and sampling calorimeters", hep-ex/0001020 (GFlash; first published with
    Rudowicz, NIM A290 (1990) 469). With y = E / Ec:

    * Longitudinal profile dE/dt = E Gamma(t; alpha, beta), t the depth after the shower
      start in X0. Per event, (ln T, ln alpha) with T = (alpha - 1) / beta the depth of the
      maximum are drawn from a correlated bivariate normal:
      <ln T> = ln(ln y - 0.812), sigma(ln T) = 1 / (-1.4 + 1.26 ln y),
      <ln alpha> = ln(0.81 + (0.458 + 2.26 / Z) ln y), sigma(ln alpha) = 1 / (-0.58 + 0.86 ln y),
      rho = 0.705 + 0.023 ln y (homogeneous media), shifted by the sampling-calorimeter
      corrections of the means, T_sam = T_hom + t1 F_S + t2 (1 - e/mip) and
      alpha_sam = alpha_hom + a1 F_S (t1 = -0.59, t2 = -0.53, a1 = -0.444, F_S = X0 / d).
    * Radial profile, in Molière radii, a core plus a tail,
      f(r) = p 2 r R_C^2 / (r^2 + R_C^2)^2 + (1 - p) 2 r R_T^2 / (r^2 + R_T^2)^2, with
      tau = t / T: R_C = z1 + z2 tau, z1 = 0.0251 + 0.00319 ln E, z2 = 0.1162 - 0.000381 Z;
      R_T = k1 (exp(k3 (tau - k2)) + exp(k4 (tau - k2))), k1 = 0.659 - 0.00309 Z, k2 = 0.645,
      k3 = -2.59, k4 = 0.3585 + 0.0421 ln E;
      p = p1 exp((p2 - tau) / p3 - exp((p2 - tau) / p3)), p1 = 2.632 - 0.00094 Z,
      p2 = 0.401 + 0.00187 Z, p3 = 1.313 - 0.0686 ln E.
    * Energy deposited spot by spot: N_spot = 93 ln(Z) E^0.876 spots (GFlash; scaled by
      ``spot_factor``) of equal energy, each with its depth drawn from the event's Gamma
      profile, its radius from the radial profile at that depth and a uniform azimuth. The
      cost of a shower grows like E^0.876, as in full simulation.
    * Photons convert first: the shower starts at a depth drawn from an exponential with
      mean 9/7 X0 (pair-production mean free path).

Sampling fluctuations
    The energy a spot leaves in the liquid argon, expressed at the electromagnetic scale,
    is Gamma distributed with mean e_spot and variance a^2 e_spot, i.e. a compound count of
    sampled charged tracks of mean energy a^2. Summed over a shower this gives
    sigma / E = a / sqrt(E) whatever the number of spots. The default a = 0.10 sqrt(GeV) is
    the usual estimate 2.7% sqrt(d_active [mm] / f_mip) for 4 mm of LAr and a minimum-
    ionising sampling fraction f_mip = 0.25 (Wigmans, "Calorimetry", 2nd ed., chapter 4;
    Fabjan & Gianotti, Rev. Mod. Phys. 75 (2003) 1243). A constant term b (channel
    calibration) multiplies each event by 1 + b N(0, 1).

Hadronic showers (pi+), a deliberately simple model
    The pion travels as a minimum-ionising particle (0.57 MeV/mm in Pb/LAr) to an
    interaction point drawn from an exponential with mean lambda_int; about 28% cross the
    480 mm (1.28 lambda) without interacting and leak. At the interaction, a fraction f_em
    of the remaining energy goes into pi0s (electromagnetic sub-shower with the GFlash
    profile above, starting there) with <f_em> = 1 - (E / E0)^(m - 1), E0 = 1 GeV,
    m = 0.83 (Groom, NIM A572 (2007) 633) and Beta-distributed event-by-event fluctuations.
    The rest is a hadronic component with the longitudinal profile of Bock et al.
    (NIM 186 (1981) 533): a Gamma distribution in x / lambda_int with shape
    a = 0.6165 + 0.3183 ln E and rate d = 0.9099 - 0.0237 ln E (a fluctuating by 15% per
    event), and a core-plus-tail radial profile of fixed radii. Its response is h/e
    (invisible nuclear binding energy), with an event-by-event spread, and its sampling
    fluctuations use a larger stochastic term. Energy behind the last layer leaks.

Bookkeeping
    For every shower the simulator returns the cell energies and the per-layer overflow
    (energy outside the 480 x 480 mm grid) at the electromagnetic scale, the true energy
    leaking through the back (``leakage``), and the expected energy lost to nuclear binding
    (``invisible``), so that cells + overflow + leakage + invisible = E up to the sampling
    and constant-term fluctuations (the energy-conservation test).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields

import numpy as np
from tqdm import tqdm

from lhcml.calo import PARTICLES
from lhcml.calo.geometry import (
    CALOGAN_MEDIUM,
    HALF_WIDTH,
    LAYER_EDGES,
    LAYER_OFFSETS,
    LAYER_SHAPES,
    N_CELLS,
    N_LAYERS,
    TOTAL_DEPTH,
    SamplingMedium,
    cell_size,
    split_layers,
)
from lhcml.config import ConfigSection

log = logging.getLogger("lhcml.calo.showersim")

# GFlash sampling-calorimeter corrections of the mean longitudinal parameters.
GFLASH_T1, GFLASH_T2, GFLASH_A1 = -0.59, -0.53, -0.444
#: Mean pair-production depth of a photon, in X0.
PHOTON_CONVERSION_X0 = 9.0 / 7.0


@dataclass(frozen=True)
class SimulatorParams(ConfigSection, section="calo.simulator"):
    """Simulator settings (config section ``calo.simulator``; defaults: the schema's)."""

    position_spread_mm: float  # entry point uniform in +-spread in x and y
    spot_factor: float  # multiplies GFlash's number of spots
    em_stochastic: float  # a in sigma/E = a/sqrt(E), sqrt(GeV)
    constant_term: float  # b, per-event multiplicative
    e_over_mip: float  # electron / minimum-ionising response (GFlash e-hat)
    had_stochastic: float  # sampling term of the hadronic component, sqrt(GeV)
    h_over_e: float  # mean response of the non-pi0 hadronic component
    had_response_spread: float  # event-by-event relative spread of that response
    em_fraction_exponent: float  # Groom's m in <f_em> = 1 - (E/E0)^(m-1)
    em_fraction_concentration: float  # Beta(k <f>, k (1 - <f>)) fluctuations of f_em
    had_core_mm: float  # core radius of the hadronic radial profile
    had_tail_mm: float  # tail radius
    had_core_fraction: float  # probability of the core


# ---------------------------------------------------------------------------------------
# Parametrisations (vectorised over showers)


def gflash_longitudinal(energy, rng, medium: SamplingMedium, params: SimulatorParams):
    """Per-shower (alpha, beta) of the Gamma profile in t [X0], with GFlash fluctuations."""
    energy = np.asarray(energy, dtype=np.float64)
    lny = np.log(np.maximum(energy * 1e3 / medium.ec, 3.0))
    z = medium.z_eff
    t_hom = lny - 0.858
    a_hom = 0.21 + (0.492 + 2.38 / z) * lny
    fs = medium.sampling_frequency
    t_sam = np.maximum(t_hom + GFLASH_T1 * fs + GFLASH_T2 * (1 - params.e_over_mip), 0.3)
    a_sam = np.maximum(a_hom + GFLASH_A1 * fs, 1.1)
    mean_lnt = np.log(np.maximum(lny - 0.812, 0.1)) + np.log(t_sam / t_hom.clip(0.1))
    mean_lna = np.log(0.81 + (0.458 + 2.26 / z) * lny) + np.log(a_sam / a_hom)
    sig_lnt = 1.0 / np.maximum(-1.4 + 1.26 * lny, 1.0)
    sig_lna = 1.0 / np.maximum(-0.58 + 0.86 * lny, 1.0)
    rho = np.clip(0.705 + 0.023 * lny, -1, 1)
    g1, g2 = rng.standard_normal((2, energy.size))
    lnt = mean_lnt + sig_lnt * g1
    lna = mean_lna + sig_lna * (rho * g1 + np.sqrt(1 - rho**2) * g2)
    alpha = np.maximum(np.exp(lna), 1.05)
    tmax = np.exp(lnt)
    beta = (alpha - 1.0) / tmax
    return alpha, beta


def gflash_radial(tau, log_energy, z_eff):
    """(R_C, R_T, p) of the GFlash radial profile, in Molière radii, at tau = t / T."""
    z1 = 0.0251 + 0.00319 * log_energy
    z2 = 0.1162 - 0.000381 * z_eff
    r_core = z1 + z2 * tau
    k1, k2, k3 = 0.659 - 0.00309 * z_eff, 0.645, -2.59
    k4 = 0.3585 + 0.0421 * log_energy
    r_tail = k1 * (np.exp(k3 * (tau - k2)) + np.exp(k4 * (tau - k2)))
    p1, p2 = 2.632 - 0.00094 * z_eff, 0.401 + 0.00187 * z_eff
    p3 = 1.313 - 0.0686 * log_energy
    arg = (p2 - tau) / p3
    p = np.clip(p1 * np.exp(arg - np.exp(arg)), 0.0, 1.0)
    return r_core, r_tail, p


def n_spots(energy, z_eff, spot_factor):
    """GFlash's number of spots, 93 ln(Z) E^0.876 (E in GeV), times ``spot_factor``."""
    e = np.maximum(np.asarray(energy, dtype=np.float64), 0.0)
    n = np.rint(spot_factor * 93.0 * np.log(z_eff) * e**0.876).astype(np.int64)
    return np.where(e > 0, np.maximum(n, 1), 0)


def em_fraction_mean(energy, exponent):
    """Groom's mean pi0 fraction of a pion shower, 1 - (E / 1 GeV)^(m - 1), kept in [0.05, 0.95]."""
    return np.clip(1.0 - np.maximum(energy, 1e-3) ** (exponent - 1.0), 0.05, 0.95)


# ---------------------------------------------------------------------------------------
# Spots


@dataclass
class Spots:
    """Energy spots of a batch of showers: shower index, position (mm), true energy (GeV).

    ``hadronic`` marks the non-pi0 hadronic component, read with the hadronic response and
    stochastic term; all other spots are read at the electromagnetic scale. Per-spot
    arrays are float32 (the positions need no more; the sums are accumulated in float64).
    """

    shower: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    true: np.ndarray
    hadronic: np.ndarray

    @staticmethod
    def of_showers(idx, x0, y0, dx, dy, z, spot_energy, hadronic: bool) -> Spots:
        """Spots of showers ``idx`` (one entry per spot) at offsets ``(dx, dy)`` from their
        shower's axis ``(x0, y0)`` and depth ``z`` (mm), each carrying its shower's
        ``spot_energy`` (GeV, per shower)."""
        return Spots(
            shower=idx,
            x=x0.astype(F32)[idx] + dx,
            y=y0.astype(F32)[idx] + dy,
            z=z,
            true=np.asarray(spot_energy).astype(F32)[idx],
            hadronic=np.full(idx.size, hadronic),
        )

    @staticmethod
    def concat(parts: list[Spots]) -> Spots:
        return Spots(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Spots)))


F32 = np.float32


def _radial_offsets(rng, radius):
    """Offsets (dx, dy) for radii drawn from 2 r R^2 / (r^2 + R^2)^2 (CDF r^2 / (r^2 + R^2))."""
    u = rng.random(radius.size, dtype=F32)
    r = radius * np.sqrt(u / (F32(1.0) - u + F32(1e-7)))
    phi = rng.random(radius.size, dtype=F32) * F32(2 * np.pi)
    return r * np.cos(phi), r * np.sin(phi)


def em_spots(rng, energy, z_start, x0, y0, medium, params) -> Spots:
    """Spots of electromagnetic showers of ``energy`` starting at depth ``z_start`` (mm)."""
    n = n_spots(energy, medium.z_eff, params.spot_factor)
    alpha, beta = gflash_longitudinal(energy, rng, medium, params)
    idx = np.repeat(np.arange(energy.size, dtype=np.int32), n)
    g = rng.standard_gamma(alpha.astype(F32)[idx], dtype=F32)  # t * beta
    tau = g / (alpha - 1.0).astype(F32)[idx]
    r_core, r_tail, p = gflash_radial(
        tau, np.log(np.maximum(energy, 1e-6)).astype(F32)[idx], F32(medium.z_eff)
    )
    radius = np.where(rng.random(idx.size, dtype=F32) < p, r_core, r_tail)
    dx, dy = _radial_offsets(rng, radius * F32(medium.moliere_radius))
    z = z_start.astype(F32)[idx] + g * (medium.x0 / beta).astype(F32)[idx]
    return Spots.of_showers(idx, x0, y0, dx, dy, z, energy / np.maximum(n, 1), hadronic=False)


def hadronic_spots(rng, energy, z_start, x0, y0, medium, params) -> Spots:
    """Spots of the non-pi0 component (Bock longitudinal profile, core + tail radially)."""
    n = n_spots(energy, medium.z_eff, params.spot_factor)
    lne = np.log(np.maximum(energy, 0.1))
    shape = np.maximum(0.6165 + 0.3183 * lne, 0.2) * np.exp(0.15 * rng.standard_normal(energy.size))
    rate = 0.9099 - 0.0237 * lne
    idx = np.repeat(np.arange(energy.size, dtype=np.int32), n)
    g = rng.standard_gamma(shape.astype(F32)[idx], dtype=F32)
    z = z_start.astype(F32)[idx] + g * (medium.lambda_int / rate).astype(F32)[idx]
    core = rng.random(idx.size, dtype=F32) < params.had_core_fraction
    radius = np.where(core, F32(params.had_core_mm), F32(params.had_tail_mm))
    dx, dy = _radial_offsets(rng, radius)
    return Spots.of_showers(idx, x0, y0, dx, dy, z, energy / np.maximum(n, 1), hadronic=True)


def mip_spots(energy, length, x0, y0, medium) -> tuple[Spots, np.ndarray]:
    """The ionisation track of a pion over ``length`` mm: one spot per sampling cell (6 mm).

    Read at the electromagnetic scale (e/mip taken as 1 for this small contribution), with
    sampling fluctuations. Returns the spots and the energy lost on the track (GeV).
    """
    step = medium.d_absorber + medium.d_active
    n = np.ceil(length / step).astype(np.int64)
    idx = np.repeat(np.arange(energy.size, dtype=np.int32), n)
    first = np.repeat(np.cumsum(n) - n, n)
    lo = (np.arange(idx.size) - first) * step
    hi = np.minimum(lo + step, length[idx])
    e = (hi - lo) * medium.dedx_mip * 1e-3
    spots = Spots(
        shower=idx,
        x=x0[idx].astype(F32),
        y=y0[idx].astype(F32),
        z=(0.5 * (lo + hi)).astype(F32),
        true=e.astype(F32),
        hadronic=np.zeros(idx.size, bool),
    )
    return spots, np.bincount(idx, e, minlength=energy.size)


def shower_spots(particle, rng, energy, x0, y0, medium, params):
    """All spots of a batch of showers; the energy of pions crossing without interacting
    (it leaks); the per-shower response of the hadronic component (None for e+, gamma)."""
    n = energy.size
    if particle == "eplus":
        return em_spots(rng, energy, np.zeros(n), x0, y0, medium, params), np.zeros(n), None
    if particle == "gamma":
        z0 = rng.exponential(PHOTON_CONVERSION_X0 * medium.x0, n)
        return em_spots(rng, energy, z0, x0, y0, medium, params), np.zeros(n), None
    if particle != "piplus":
        raise ValueError(f"unknown particle {particle!r} (known: {', '.join(PARTICLES)})")
    z_int = rng.exponential(medium.lambda_int, n)
    interacts = z_int < TOTAL_DEPTH
    track, lost = mip_spots(energy, np.minimum(z_int, TOTAL_DEPTH), x0, y0, medium)
    rest = energy - lost
    escaped = np.where(interacts, 0.0, rest)
    e_int = np.where(interacts, rest, 0.0)
    mean = em_fraction_mean(e_int, params.em_fraction_exponent)
    k = params.em_fraction_concentration
    f_em = rng.beta(k * mean, k * (1 - mean))
    response = params.h_over_e * np.exp(params.had_response_spread * rng.standard_normal(n))
    em = em_spots(rng, np.maximum(f_em * e_int, 0.0), z_int, x0, y0, medium, params)
    had = hadronic_spots(rng, (1 - f_em) * e_int, z_int, x0, y0, medium, params)
    return Spots.concat([track, em, had]), escaped, response


# ---------------------------------------------------------------------------------------
# Read-out


def _read(rng, true_energy, stochastic):
    """Energy read in the active medium at the EM scale: Gamma(E / a^2, a^2) (mean E,
    variance a^2 E). Sums of such spots are Gamma again, so drawing per cell is exact."""
    out = np.zeros_like(true_energy)
    nz = true_energy > 0
    a2 = stochastic**2
    out[nz] = rng.gamma(true_energy[nz] / a2, a2)
    return out


def _layer_index(z):
    """Layer of each depth: 0, 1, 2 inside, 3 behind (z >= 480 mm); z is never < 0."""
    return (z >= LAYER_EDGES[1]).astype(np.int8) + (z >= LAYER_EDGES[2]) + (z >= LAYER_EDGES[3])


def deposit(
    rng, spots: Spots, n_showers: int, params, hadronic_response=None, profile_edges=None
) -> dict:
    """Bin spots into the 504 cells and the per-layer overflow (read at the EM scale with
    sampling fluctuations), and sum the leakage and the invisible energy (see the module
    docstring). ``profile_edges`` (mm) adds the true-energy depth profile of each shower."""
    layer = _layer_index(spots.z)
    behind = layer >= N_LAYERS
    leakage = np.bincount(spots.shower[behind], spots.true[behind], minlength=n_showers)
    # slot of each spot: a cell (0..503), or 504 + layer for the overflow of a layer
    slot = np.full(spots.z.size, -1, dtype=np.int64)
    for lay in range(N_LAYERS):
        sel = np.nonzero(layer == lay)[0]
        ny, nx = LAYER_SHAPES[lay]
        dy, dx = cell_size(lay)
        ix = np.floor((spots.x[sel] + F32(HALF_WIDTH)) / F32(dx)).astype(np.int64)
        iy = np.floor((spots.y[sel] + F32(HALF_WIDTH)) / F32(dy)).astype(np.int64)
        grid = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        slot[sel] = np.where(grid, LAYER_OFFSETS[lay] + iy * nx + ix, N_CELLS + lay)
    n_slots = N_CELLS + N_LAYERS
    inside = slot >= 0
    key = spots.shower.astype(np.int64) * n_slots + slot
    size = n_showers * n_slots
    em = inside & ~spots.hadronic
    read = _read(rng, np.bincount(key[em], spots.true[em], minlength=size), params.em_stochastic)
    invisible = np.zeros(n_showers)
    if hadronic_response is not None:
        had = inside & spots.hadronic
        true_had = np.bincount(key[had], spots.true[had], minlength=size)
        resp = np.repeat(hadronic_response, n_slots)
        read += resp * _read(rng, true_had, params.had_stochastic)
        invisible = ((1.0 - resp) * true_had).reshape(n_showers, n_slots).sum(axis=1)
    read = read.reshape(n_showers, n_slots)
    out = {
        "cells": read[:, :N_CELLS],
        "overflow": read[:, N_CELLS:],
        "leakage": leakage,
        "invisible": invisible,
    }
    if profile_edges is not None:
        edges = np.asarray(profile_edges, dtype=np.float64)
        nb = edges.size - 1
        b = np.searchsorted(edges, spots.z, side="right") - 1
        ok = (b >= 0) & (b < nb)
        key = spots.shower[ok].astype(np.int64) * nb + b[ok]
        out["profile"] = np.bincount(key, spots.true[ok], minlength=n_showers * nb).reshape(
            n_showers, nb
        )
    return out


def _batches(energy, medium, params, max_spots):
    """Consecutive shower ranges whose GFlash spot count stays below ``max_spots``."""
    cost = n_spots(energy, medium.z_eff, params.spot_factor) * 2.0 + 8  # pions: two parts
    bounds, start, total = [], 0, 0.0
    for i, c in enumerate(cost):
        if total + c > max_spots and i > start:
            bounds.append((start, i))
            start, total = i, 0.0
        total += c
    bounds.append((start, energy.size))
    return bounds


def simulate(
    particle: str,
    energy,
    rng: np.random.Generator,
    params: SimulatorParams | None = None,
    medium: SamplingMedium = CALOGAN_MEDIUM,
    profile_edges=None,
    max_spots: int = 2_000_000,
    progress: bool = False,
) -> dict:
    """Simulate one shower per incident ``energy`` (GeV) of ``particle``.

    Returns ``energy`` (N,), ``layer_0``, ``layer_1``, ``layer_2`` ((N,3,96), (N,12,12),
    (N,12,6), GeV at the EM scale), ``overflow`` (N,3), ``leakage`` and ``invisible`` (N,),
    and with ``profile_edges`` the true depth profile ``profile`` (N, bins). Showers are
    processed in batches of at most ``max_spots`` spots (memory ~ 100 bytes per spot).
    """

    params = params or SimulatorParams.from_mapping(None)
    energy = np.asarray(energy, dtype=np.float64).ravel()
    if energy.size and (not np.all(np.isfinite(energy)) or energy.min() <= 0):
        raise ValueError("incident energies must be finite and positive (GeV)")
    parts = []
    bounds = _batches(energy, medium, params, max_spots)
    iterator = bounds
    if progress:
        iterator = tqdm(bounds, desc=f"simulate {particle}", unit="batch", mininterval=2.0)
    for lo, hi in iterator:
        e = energy[lo:hi]
        spread = params.position_spread_mm
        x0, y0 = rng.uniform(-spread, spread, (2, e.size)) if spread > 0 else np.zeros((2, e.size))
        spots, escaped, response = shower_spots(particle, rng, e, x0, y0, medium, params)
        out = deposit(rng, spots, e.size, params, response, profile_edges)
        scale = 1.0 + params.constant_term * rng.standard_normal(e.size)
        out["cells"] *= scale[:, None]
        out["overflow"] *= scale[:, None]
        out["leakage"] = out["leakage"] + escaped
        parts.append(out)
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}
    if not parts:
        merged = {
            "cells": np.zeros((0, N_CELLS)),
            "overflow": np.zeros((0, N_LAYERS)),
            "leakage": np.zeros(0),
            "invisible": np.zeros(0),
        }
    result = {"energy": energy}
    for i, image in enumerate(split_layers(merged.pop("cells"))):
        result[f"layer_{i}"] = image
    result.update(merged)
    return result


def sample_energies(rng, n: int, e_min: float, e_max: float) -> np.ndarray:
    """Incident energies uniform in [e_min, e_max] GeV (the CaloGAN spectrum)."""
    return rng.uniform(e_min, e_max, n)
