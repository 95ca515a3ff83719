"""Generation: NanoAOD files that coffea reads, with valid cross-references and physics."""

import warnings
from pathlib import Path

import awkward as ak
import fastjet
import numpy as np
import pytest
import uproot
from coffea.nanoevents import NanoAODSchema, NanoEventsFactory

from lhcml import generate
from lhcml.generate.chunk import chunk_seeds, generate_chunk
from lhcml.generate.pythia import RESONANCE_IDS, PythiaGenerator, _status_flags, pythia_settings
from lhcml.io import read_json
from lhcml.substructure import jets_as_events

# The stock schema warns about every NanoAOD cross-reference whose collection (Electron,
# Muon, SubJet, ...) the generated files do not have; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Missing cross-reference:RuntimeWarning")


@pytest.fixture(scope="module")
def vjets_chunk(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    meta = _chunk(out / "3", process="vjets", n_events=400, chunk=3, seeds=(1, 2))
    return out / "3.root", meta


def _chunk(stem: Path, process: str, n_events: int, chunk: int, seeds: tuple[int, int]):
    """Generate a chunk to ``stem``.root / ``stem``.json (pT-hat > 300 GeV, no MPI);
    ``seeds``: (master, sample)."""
    return generate_chunk(
        process=process,
        n_events=n_events,
        chunk=chunk,
        master_seed=seeds[0],
        sample_seed=seeds[1],
        pthat_min=300.0,
        mpi=False,
        out_root=stem.with_suffix(".root"),
        out_meta=stem.with_suffix(".json"),
        progress=False,
    )


def _events(path):
    return NanoEventsFactory.from_root(
        {str(path): "Events"}, schemaclass=NanoAODSchema, mode="eager"
    ).events()


def test_metadata_records_cross_section_and_seeds(vjets_chunk):
    path, meta = vjets_chunk
    assert read_json(path.with_suffix(".json")) == meta
    assert meta["events"] == 400
    # W/Z(->qq) + parton with pTHat > 300 GeV at 13 TeV: O(10-100) pb
    assert 5.0 < meta["xsec_pb"] < 200.0
    assert 0 < meta["xsec_err_pb"] < 0.2 * meta["xsec_pb"]
    assert (meta["pythia_seed"], meta["detector_seed"]) == chunk_seeds(1, 2, 3)


def test_event_numbering_and_runs_tree(vjets_chunk):
    path, _ = vjets_chunk
    with uproot.open(path) as f:
        ev = f["Events"].arrays(["run", "luminosityBlock", "event", "genWeight"], library="np")
        runs = f["Runs"].arrays(library="np")
    assert np.all(ev["luminosityBlock"] == 4)
    assert ev["event"].tolist() == list(range(1201, 1601))
    assert runs["genEventCount"][0] == 400
    assert runs["genEventSumw"][0] == pytest.approx(ev["genWeight"].sum())


def test_nanoaod_schema_reads_it_with_valid_cross_references(vjets_chunk):
    path, _ = vjets_chunk
    events = _events(path)
    n_fat = ak.num(events.FatJet)
    # FatJetPFCands: ordered by jet, indices in range, counts consistent with nConstituents
    assoc = events.FatJetPFCands
    assert ak.all(assoc.jetIdx < n_fat[:, None])
    assert ak.all(assoc.jetIdx >= 0)
    assert ak.all(assoc.pFCandsIdx < ak.num(events.PFCands)[:, None])
    assert ak.all(assoc.pFCandsIdx >= 0)
    assert ak.all(ak.sum(events.FatJet.nConstituents, axis=1) == ak.num(assoc))
    assert ak.all(assoc.jetIdx[:, 1:] >= assoc.jetIdx[:, :-1])
    # the schema's nested index gives each FatJet its own constituents
    assert ak.all(ak.num(events.FatJet.constituents, axis=2) == events.FatJet.nConstituents)
    # the constituents' four-momenta add up to the jet (E-scheme recombination)
    cands = events.PFCands[assoc.pFCandsIdx]
    cand_px = ak.flatten(cands.pt * np.cos(cands.phi))
    jet_px = ak.sum(ak.unflatten(cand_px, ak.flatten(events.FatJet.nConstituents)), axis=1)
    np.testing.assert_allclose(jet_px, ak.flatten(events.FatJet.px), rtol=1e-3, atol=0.05)
    # GenPart mothers precede daughters; coffea's children are the daughters
    mother = events.GenPart.genPartIdxMother
    assert ak.all(mother < ak.local_index(mother))
    bosons = events.GenPart[(abs(events.GenPart.pdgId) == 24) | (events.GenPart.pdgId == 23)]
    last = bosons[bosons.hasFlags(["fromHardProcess", "isLastCopy"])]
    assert ak.all(ak.num(last) == 1)
    daughters = ak.flatten(last.children, axis=2)
    assert ak.all(ak.num(daughters) == 2)
    assert ak.all(abs(daughters.pdgId) <= 5)


def test_jets_sorted_and_substructure_physical(vjets_chunk):
    path, _ = vjets_chunk
    fj = _events(path).FatJet
    assert ak.all(fj.pt[:, 1:] <= fj.pt[:, :-1])
    assert ak.all(fj.pt > 170)
    assert ak.all(fj.msoftdrop <= fj.mass * (1 + 1e-4) + 1e-3)
    # field access: the attribute fj.tau2 is vector's proper time squared (= mass^2)
    tau = np.stack([ak.to_numpy(ak.flatten(fj[f"tau{i}"])) for i in range(1, 5)])
    # normalised measure: constituents lie within ~R0 of the axes, so tau_N is O(0.01-1)
    assert np.all(tau >= 0)
    assert np.all(tau < 2.0)
    assert np.all(np.median(tau, axis=1) < 0.5)
    assert np.mean(tau[1] <= tau[0]) > 0.99


def test_fatjet_tau_is_the_nanoaod_one_pass_observable(vjets_chunk):
    """The stored FatJet_tau1..4 are CMS NanoAOD's: contrib's OnePass_KT_Axes, normalised
    measure, beta = 1, R0 = 0.8, recomputed here from the stored (float32) constituents."""
    events = _events(vjets_chunk[0])
    cands = ak.flatten(events.PFCands[events.FatJetPFCands.pFCandsIdx], axis=1)
    cands = ak.unflatten(cands, ak.flatten(events.FatJet.nConstituents))
    pt, eta, phi, mass = (
        ak.values_astype(cands[f], np.float64) for f in ("pt", "eta", "phi", "mass")
    )
    p4 = {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta)}
    p4["E"] = np.sqrt((pt * np.cosh(eta)) ** 2 + mass**2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sequence = fastjet.ClusterSequence(
            jets_as_events(ak.zip(p4)), fastjet.JetDefinition(fastjet.kt_algorithm, 1000.0)
        )
    stored = np.stack([ak.to_numpy(ak.flatten(events.FatJet[f"tau{i}"])) for i in range(1, 5)], 1)
    assert len(stored) > 100
    assert np.all(stored > 0)

    def contrib(axes):
        return np.asarray(
            sequence.njettiness(
                measure_definition="NormalizedMeasure",
                axes_definition=axes,
                njets=[1, 2, 3, 4],
                beta=1.0,
                R0=0.8,
            )
        ).reshape(-1, 4)

    # float32 storage of the taus and constituents: measured 6e-6 at most
    np.testing.assert_allclose(stored, contrib("OnePass_KT_Axes"), rtol=1e-4)
    # winner-take-all axes are a different observable (median 2% apart)
    assert np.median(np.abs(stored / contrib("WTA_KT_Axes") - 1.0)) > 1e-3


def test_w_z_jets_have_the_boson_mass(vjets_chunk):
    """Leading jets near a hadronic W/Z have a soft-drop mass peaking at m_W, m_Z."""
    path, _ = vjets_chunk
    events = _events(path)
    boson = events.GenPart[(abs(events.GenPart.pdgId) == 24) | (events.GenPart.pdgId == 23)]
    boson = boson[boson.hasFlags(["isLastCopy"])][:, 0]
    jet = events.FatJet[:, :1]
    has = ak.num(jet) > 0
    jet = jet[has][:, 0]
    near = jet.delta_r(boson[has]) < 0.3
    msd = ak.to_numpy(jet.msoftdrop[near & (jet.pt > 300)])
    assert len(msd) > 40
    assert 70.0 < np.median(msd) < 95.0


def test_same_seeds_same_file(tmp_path):
    for name in ("a", "b"):
        _chunk(tmp_path / name, process="qcd", n_events=30, chunk=0, seeds=(5, 6))
    a = uproot.open(tmp_path / "a.root")["Events"].arrays(library="ak")
    b = uproot.open(tmp_path / "b.root")["Events"].arrays(library="ak")
    assert ak.array_equal(a, b)


def test_pythia_settings_validation():
    with pytest.raises(ValueError, match="unknown process 'wjets'"):
        pythia_settings("wjets", seed=1, pthat_min=100.0, mpi=False)
    with pytest.raises(ValueError, match="seed"):
        pythia_settings("qcd", seed=0, pthat_min=100.0, mpi=False)
    with pytest.raises(ValueError, match="rejected the setting"):
        PythiaGenerator("qcd", seed=1, pthat_min=100.0, mpi=False, extra=["Nonsense:key = 3"])


def test_top_decay_chain_in_genpart():
    gen = PythiaGenerator("ttbar", seed=3, pthat_min=200.0, mpi=False)
    ev = next(iter(gen.batches(1))).gen
    ids = np.abs(ev["pdgId"])
    mothers = ev["genPartIdxMother"]
    tops = np.flatnonzero((ids == 6) & (ev["status"] == 62))
    assert len(tops) == 2
    for t in tops:
        daughters = set(ids[mothers == t].tolist())
        assert daughters == {5, 24}


def test_combine_cross_sections():
    metas = [{"xsec_pb": 10.0, "xsec_err_pb": 1.0}, {"xsec_pb": 12.0, "xsec_err_pb": 1.0}]
    mean, err = generate.combine_cross_sections(metas)
    assert mean == pytest.approx(11.0)
    assert err == pytest.approx(1 / np.sqrt(2))


def _reference_final_state(event) -> dict[str, np.ndarray]:
    """Stable particles read one by one from Pythia's live C++ record."""
    rows = [
        (p.px(), p.py(), p.pz(), p.e(), p.id(), p.charge())
        for p in (event[i] for i in range(event.size()))
        if p.isFinal()
    ]
    cols = list(zip(*rows, strict=True))
    return {
        k: np.asarray(v)
        for k, v in zip(("px", "py", "pz", "E", "pdgId", "charge"), cols, strict=True)
    }


def _reference_genparts(event) -> dict[str, np.ndarray]:
    """The pruned record built with Pythia's own iBotCopyId/daughterList/isFinal/eta."""

    flags: dict[int, int] = {}
    hard = _status_flags("isPrompt", "isHardProcess", "fromHardProcess", "isFirstCopy")
    last = _status_flags("isPrompt", "fromHardProcess", "isLastCopy")
    is_last = _status_flags("isLastCopy")

    def chain(i):
        j = event[i].iBotCopyId()
        if j != i:
            flags[j] = flags.get(j, 0) | last
        else:
            flags[i] |= is_last
        for d in event[j].daughterList():
            flags[d] = flags.get(d, 0) | hard
            if abs(event[d].id()) in RESONANCE_IDS:
                chain(d)

    for i in range(1, min(event.size(), 8)):
        st = abs(event[i].status())
        if st in (21, 22, 23):
            flags[i] = flags.get(i, 0) | hard
            if st != 21 and abs(event[i].id()) in RESONANCE_IDS:
                chain(i)
    kept = sorted(flags)
    position = {i: k for k, i in enumerate(kept)}
    out = {k: [] for k in ("pt", "eta", "phi", "mass", "pdgId", "status", "statusFlags")}
    out["genPartIdxMother"] = []
    for i in kept:
        p = event[i]
        out["pt"].append(p.pT())
        out["eta"].append(p.eta() if p.pT() > 0 else np.copysign(1e4, p.pz()))
        out["phi"].append(p.phi())
        out["mass"].append(p.m())
        out["pdgId"].append(p.id())
        st = abs(p.status())
        if st in (21, 22, 23):
            out["status"].append(st)
        elif flags[i] & is_last and st > 50:
            out["status"].append(62)
        else:
            out["status"].append(1 if p.isFinal() else 2)
        out["statusFlags"].append(flags[i])
        mother = p.mother1()
        while mother > 0 and mother not in position:
            mother = event[mother].mother1()
        out["genPartIdxMother"].append(position.get(mother, -1) if mother > 0 else -1)
    return {k: np.asarray(v) for k, v in out.items()}


@pytest.mark.parametrize(("process", "mpi"), [("ttbar", True), ("vjets", False)])
def test_batched_events_match_the_event_by_event_record(process, mpi):
    """nextBatch + array extraction gives the same events, random stream and pruned
    record as next() with reads from Pythia's C++ record (its own iBotCopyId,
    daughterList, charge, eta)."""
    n, kwargs = (
        25,
        dict(seed=11, pthat_min=300.0, mpi=mpi, extra=["PhaseSpace:bias2Selection = on"]),
    )
    gen = PythiaGenerator(process, **kwargs)
    batch = next(iter(gen.batches(n, batch_size=n)))
    ref = PythiaGenerator(process, **kwargs)
    pythia, info = ref._pythia, ref._pythia.infoPython()
    fs_start, gen_start = 0, 0
    assert len(batch) == n
    for k in range(n):
        assert pythia.next()
        fs, gp = _reference_final_state(pythia.event), _reference_genparts(pythia.event)
        assert batch.weights[k] == info.weight() != 1.0  # biased sampling: real weights
        n_fs, n_gen = batch.fs_counts[k], batch.gen_counts[k]
        for key, ref_col in fs.items():
            np.testing.assert_array_equal(batch.fs[key][fs_start : fs_start + n_fs], ref_col)
        for key, ref_col in gp.items():
            mine = batch.gen[key][gen_start : gen_start + n_gen]
            if key in ("pt", "eta", "phi", "mass"):
                np.testing.assert_allclose(mine, ref_col.astype(np.float32), rtol=1e-6, atol=1e-6)
            else:
                np.testing.assert_array_equal(mine, ref_col)
        fs_start, gen_start = fs_start + n_fs, gen_start + n_gen
    assert fs_start == len(batch.fs["px"])
    assert gen_start == len(batch.gen["pt"])
    if process == "ttbar":  # decay chains present: t -> W b, W -> q q'
        assert np.sum(np.abs(batch.gen["pdgId"]) == 6) >= 2 * n
