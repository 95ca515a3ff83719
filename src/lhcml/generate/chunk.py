"""One generation job: Pythia events -> detector -> jets -> one NanoAOD file.

A sample is generated in chunks (one Snakemake job each) with distinct, reproducible
seeds derived from the sample seed and the chunk number by :func:`chunk_seeds`. Events are
numbered ``event = chunk * events_per_chunk + i + 1`` with ``run = 1`` and
``luminosityBlock = chunk + 1``, so (run, luminosityBlock, event) is unique in a sample.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import asdict

import awkward as ak
import numpy as np
from tqdm import tqdm

from lhcml.generate import detector as det
from lhcml.generate import reconstruct as reco
from lhcml.generate.nanoaod_writer import write_nanoaod
from lhcml.generate.pythia import PYTHIA_MAX_SEED, EventBatch, PythiaGenerator
from lhcml.io import write_json

log = logging.getLogger("lhcml.generate")


def chunk_seeds(master_seed: int, sample_seed: int, chunk: int) -> tuple[int, int]:
    """(Pythia seed, detector seed) for one chunk, from a NumPy ``SeedSequence``.

    Different chunks and samples get statistically independent streams; the same inputs
    always give the same seeds.
    """
    entropy = [int(master_seed), int(sample_seed), int(chunk)]
    state = np.random.SeedSequence(entropy).generate_state(2)
    return int(state[0] % PYTHIA_MAX_SEED) + 1, int(state[1])


def _p4_columns(p4: ak.Array) -> dict[str, ak.Array]:
    """NanoAOD kinematic columns (float32 pt, eta, phi, mass) of ``Momentum4D`` objects."""
    return {k: ak.values_astype(getattr(p4, k), np.float32) for k in ("pt", "eta", "phi", "mass")}


def _fatjet_pfcands(
    cands: dict[str, np.ndarray],
    event_of_cand: np.ndarray,
    fat_index: ak.Array,
    global_index: ak.Array,
) -> tuple[ak.Array, ak.Array]:
    """PFNano-style ``PFCands`` and ``FatJetPFCands`` for the FatJets of a chunk.

    ``PFCands`` holds, per event, the distinct candidates used by any FatJet, in candidate
    order; ``FatJetPFCands`` lists each FatJet's constituents, ordered by jet, with
    ``jetIdx`` (FatJet index in the event) and ``pFCandsIdx`` (index into the event's
    ``PFCands``). ``fat_index`` is events x jets x constituents; ``global_index`` the same
    constituents as jets x constituents indexing the flat candidate arrays.
    """
    n_events = len(fat_index)
    flat_index = np.asarray(ak.flatten(global_index, axis=None))
    used = np.unique(flat_index)
    used_event = event_of_cand[used]
    used_counts = np.bincount(used_event, minlength=n_events)
    used_starts = np.concatenate([[0], np.cumsum(used_counts)[:-1]])
    position_in_event = np.full(len(cands["pt"]), -1, np.int64)
    position_in_event[used] = np.arange(len(used)) - used_starts[used_event]
    pfcands = ak.unflatten(
        ak.zip({k: cands[k][used] for k in ("pt", "eta", "phi", "mass", "charge", "pdgId")}),
        used_counts,
    )
    jet_of_constituent = ak.broadcast_arrays(ak.local_index(fat_index, axis=1), fat_index)[0]
    association = ak.zip(
        {
            "jetIdx": ak.values_astype(ak.flatten(jet_of_constituent, axis=2), np.int32),
            "pFCandsIdx": ak.unflatten(
                position_in_event[flat_index].astype(np.int32),
                np.asarray(ak.sum(ak.num(fat_index, axis=2), axis=1)),
            ),
        }
    )
    return pfcands, association


def reconstruct_events(
    fs,
    counts: np.ndarray,
    rng: np.random.Generator,
    detector: det.DetectorConfig,
    config: reco.RecoConfig,
) -> dict[str, ak.Array]:
    """Detector response and jet reconstruction for a chunk of events.

    ``fs`` holds the flat :data:`~lhcml.generate.pythia.FS_DTYPE` columns of all
    final-state particles (a mapping or a structured array) and ``counts`` the number per
    event. Returns the NanoAOD collections
    ``FatJet``, ``Jet``, ``PFCands`` (the constituents of any FatJet, PFNano style) and
    ``FatJetPFCands``.
    """
    cands, kept = det.simulate(
        fs["px"], fs["py"], fs["pz"], fs["E"], fs["pdgId"], fs["charge"], rng, detector
    )
    event_of_particle = np.repeat(np.arange(len(counts)), counts)
    reco_counts = np.bincount(event_of_particle[kept], minlength=len(counts))
    particles = reco.particles_by_event(cands, reco_counts)

    jets, _ = reco.cluster(particles, config.jet_r, config.jet_pt_min, constituents=False)
    fatjets, fat_index = reco.cluster(particles, config.fatjet_r, config.fatjet_pt_min)
    constituents, global_index = reco.jet_constituents(particles, fat_index)
    sub = reco.fatjet_substructure(constituents, config)
    n_fat = np.asarray(ak.num(fatjets, axis=1))
    n_const = np.asarray(ak.num(global_index, axis=1))

    fatjet = ak.zip(
        {
            **_p4_columns(fatjets),
            **{k: ak.unflatten(v, n_fat) for k, v in sub.items()},
            "nConstituents": ak.unflatten(n_const.astype(np.int32), n_fat),
        }
    )
    pfcands, association = _fatjet_pfcands(cands, event_of_particle[kept], fat_index, global_index)
    return {
        "FatJet": fatjet,
        "Jet": ak.zip(_p4_columns(jets)),
        "PFCands": pfcands,
        "FatJetPFCands": association,
    }


def generate_chunk(
    *,
    process: str,
    n_events: int,
    chunk: int,
    master_seed: int,
    sample_seed: int,
    pthat_min: float,
    mpi: bool,
    out_root: str | os.PathLike,
    out_meta: str | os.PathLike,
    ecm: float = 13000.0,
    extra_settings: tuple[str, ...] | list[str] = (),
    detector: dict | None = None,
    reconstruction: dict | None = None,
    progress: bool = True,
) -> dict:
    """Generate, simulate and reconstruct ``n_events`` events and write one NanoAOD file.

    Writes ``out_root`` (NanoAOD format) and ``out_meta`` (JSON: cross section with its
    error in pb, seeds, event counts, timings). Both are written atomically. Returns the
    metadata dict.
    """

    detector_cfg = det.DetectorConfig.from_mapping(detector)
    reco_cfg = reco.RecoConfig.from_mapping(reconstruction)
    pythia_seed, detector_seed = chunk_seeds(master_seed, sample_seed, chunk)
    log.info(
        "%s chunk %d: %d events, Pythia seed %d, MPI %s",
        process,
        chunk,
        n_events,
        pythia_seed,
        "on" if mpi else "off",
    )

    t0 = time.perf_counter()
    generator = PythiaGenerator(
        process, seed=pythia_seed, pthat_min=pthat_min, mpi=mpi, ecm=ecm, extra=extra_settings
    )
    t_init = time.perf_counter() - t0
    bar = tqdm(
        total=n_events,
        desc=f"{process}[{chunk}]",
        unit="ev",
        file=sys.stderr,
        mininterval=10.0,
        disable=not progress,
    )
    t1 = time.perf_counter()
    batches = []
    for batch in generator.batches(n_events):
        batches.append(batch)
        bar.update(len(batch))
    bar.close()
    events = EventBatch.concatenate(batches)
    weights = events.weights
    t_generate = time.perf_counter() - t1

    t2 = time.perf_counter()
    collections = reconstruct_events(
        events.fs,
        events.fs_counts,
        np.random.default_rng(detector_seed),
        detector_cfg,
        reco_cfg,
    )
    collections["GenPart"] = ak.unflatten(ak.zip(events.gen), events.gen_counts)
    t_reco = time.perf_counter() - t2

    xsec = generator.cross_section()
    event_numbers = np.arange(n_events, dtype=np.uint64) + np.uint64(chunk * n_events + 1)
    write_nanoaod(
        out_root,
        {
            "run": np.ones(n_events, np.uint32),
            "luminosityBlock": np.full(n_events, chunk + 1, np.uint32),
            "event": event_numbers,
            "genWeight": weights.astype(np.float32),
        },
        collections,
        {
            "run": np.ones(1, np.uint32),
            "genEventCount": np.array([n_events], np.int64),
            "genEventSumw": np.array([weights.sum()]),
            "genEventSumw2": np.array([(weights**2).sum()]),
        },
    )
    t_total = time.perf_counter() - t0
    meta = {
        "process": process,
        "chunk": chunk,
        "events": n_events,
        "pythia_seed": pythia_seed,
        "detector_seed": detector_seed,
        "mpi": mpi,
        "pthat_min": pthat_min,
        "xsec_pb": xsec.sigma_pb,
        "xsec_err_pb": xsec.error_pb,
        "n_accepted": xsec.n_accepted,
        "n_tried": xsec.n_tried,
        "sum_genweight": float(weights.sum()),
        "detector": asdict(detector_cfg),
        "reconstruction": asdict(reco_cfg),
        "seconds": {
            "init": t_init,
            "generate": t_generate,
            "reconstruct": t_reco,
            "total": t_total,
        },
        "events_per_second": n_events / t_total,
        "pythia_events_per_second": n_events / t_generate,
    }
    write_json(out_meta, meta)
    log.info(
        "%s chunk %d: sigma = %.4g +- %.2g pb; %.1f ev/s (Pythia+extraction %.1f ev/s)",
        process,
        chunk,
        xsec.sigma_pb,
        xsec.error_pb,
        meta["events_per_second"],
        meta["pythia_events_per_second"],
    )
    return meta
