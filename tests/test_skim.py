"""lhcml.skim: selection, weights, labels, constituents, cutflow, bad inputs, real NanoAOD."""

from __future__ import annotations

import itertools
import json
import math
import os
import warnings
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot
from coffea.nanoevents import NanoAODSchema, NanoEventsFactory

from lhcml.nanoaod import STATUS_FLAG_BITS
from lhcml.skim import (
    COLUMNS,
    LABELS,
    LeadingFatJetProcessor,
    SkimInputError,
    check_input_file,
    label_codes,
    read_normalisation,
    skim_sample,
)
from lhcml.skim import processor as processor_module
from lhcml.skim.labels import _distinct_parent, has_flags

# --- a tiny synthetic NanoAOD sample, hand-countable ------------------------------------

IN = ["isHardProcess", "fromHardProcess"]  # incoming hard partons
HARD = ["isHardProcess", "fromHardProcess", "isFirstCopy"]  # outgoing hard process
HARD_LAST = [*HARD, "isLastCopy"]
LAST = ["fromHardProcess", "isLastCopy"]
INCOMING = [(21, 21, IN, -1, 0.0, 20000.0, 0.0), (21, 21, IN, -1, 0.0, -20000.0, 0.0)]
PI = math.pi


def fj(pt, eta, phi, msd, nconst=0):
    """A FatJet; tau1 = pt / 1000 tags which jet was copied to the output."""
    return {
        "pt": pt,
        "eta": eta,
        "phi": phi,
        "mass": msd * 1.1,
        "msoftdrop": msd,
        "tau1": pt / 1000,
        "tau2": 0.2,
        "tau3": 0.1,
        "tau4": 0.05,
        "n2b1": 0.3,
        "d2b1": 1.5,
        "nConstituents": nconst,
    }


def event(fatjets=(), gen=(), pf=(), assoc=(), w=1.0):
    """gen: (pdgId, status, flags, mother, pt, eta, phi); pf: (pt, eta, phi, charge, pdgId);
    assoc: (jetIdx, pFCandsIdx), ordered by jet."""
    return {
        "fatjets": list(fatjets),
        "gen": list(gen),
        "pf": list(pf),
        "assoc": list(assoc),
        "w": w,
    }


def top_event(b_eta, w):
    return event(
        [fj(900, 0.8, -1.0, 175)],
        [
            *INCOMING,
            (6, 22, HARD, 0, 900, 0.8, -1.0),  # 2 t
            (6, 62, LAST, 2, 890, 0.8, -1.0),  # 3 t, last copy
            (24, 22, HARD, 3, 600, 0.9, -0.9),  # 4 W
            (5, 23, HARD, 3, 300, b_eta, -1.2),  # 5 b
            (24, 52, LAST, 4, 590, 0.9, -0.9),  # 6 W, last copy
            (2, 23, HARD, 6, 300, 1.1, -0.8),  # 7 q
            (-1, 23, HARD, 6, 250, 0.7, -0.7),  # 8 q'
            (-6, 22, HARD_LAST, 0, 900, -1.0, 2.0),  # 9 tbar, far
        ],
        w=w,
    )


#: Events 100..111; expected: selected 103, 104, 105, 106, 109, 110, 111.
EVENTS = [
    # 100: no FatJet
    event(
        [], [*INCOMING, (21, 23, HARD, 0, 300, 1.0, 0.0), (21, 23, HARD, 0, 300, -1.0, PI)], w=1.0
    ),
    # 101: leading FatJet below pt
    event([fj(250, 0.0, 0.0, 80)], INCOMING, w=2.0),
    # 102: not sorted by pt; the leading (second) jet fails |eta| (the first would pass)
    event([fj(350, 0.5, 0.0, 80), fj(500, 3.0, 1.0, 80)], INCOMING, w=1.5),
    # 103: W -> u dbar, merged, in the leading (second) jet; constituents of both jets
    event(
        [fj(200, -1.0, 3.0, 20, nconst=2), fj(600, 0.2, 1.0, 82, nconst=5)],
        [
            *INCOMING,
            (24, 22, HARD, 0, 610, 0.2, 1.0),  # 2 W
            (24, 52, LAST, 2, 600, 0.2, 1.0),  # 3 W, last copy
            (2, 23, HARD, 3, 350, 0.4, 1.2),  # 4 u
            (-1, 23, HARD, 3, 250, 0.0, 0.8),  # 5 dbar
            (21, 23, HARD, 0, 600, -0.5, 1.0 - PI),  # 6 recoil gluon
        ],
        pf=[
            (50, 0.2, 1.0, 1, 211),
            (5, -1.0, 3.0, 0, 22),
            (10, 0.3, 1.1, 0, 130),
            (200, 0.1, 0.9, -1, -211),
            (7, -1.1, 2.9, 1, 211),
            (30, 0.25, 1.05, -1, 11),
            (120, 0.4, 1.2, 0, 22),
        ],
        assoc=[(0, 1), (0, 4), (1, 0), (1, 2), (1, 3), (1, 5), (1, 6)],
        w=0.5,
    ),
    # 104: W with one quark outside -> the highest-pT hard parton inside: a quark
    event(
        [fj(450, -0.3, -2.0, 60)],
        [
            *INCOMING,
            (24, 22, HARD, 0, 450, -0.3, -2.0),
            (24, 52, LAST, 2, 440, -0.3, -2.0),
            (3, 23, HARD, 3, 300, -0.1, -2.2),  # inside
            (-4, 23, HARD, 3, 150, -1.5, -2.0),  # outside (DeltaR 1.2)
            (21, 23, HARD, 0, 200, -0.5, -1.8),  # inside, lower pT
        ],
        w=1.5,
    ),
    # 105: gluon jet; a harder non-hard-process quark inside does not count
    event(
        [fj(700, 1.0, 2.5, 120)],
        [
            *INCOMING,
            (21, 23, HARD, 0, 720, 1.1, 2.4),
            (1, 23, HARD, 0, 680, -1.0, -0.6),  # far
            (2, 71, LAST, 2, 730, 1.0, 2.5),  # inside, not isHardProcess
        ],
        w=2.5,
    ),
    # 106: unmatched: incoming partons inside (one with a kept proton as mother), rest far
    event(
        [fj(400, 0.0, 0.0, 100)],
        [
            (2212, 4, [], -1, 0.0, 30000.0, 0.0),
            (2, 21, IN, 0, 0.0, 0.1, 0.1),  # incoming, has a mother, status 21
            (21, 21, IN, -1, 0.0, -0.1, 0.0),  # incoming, no mother
            (21, 23, HARD, 1, 400, 2.0, 3.0),
            (21, 23, HARD, 1, 400, -2.0, -3.0),
        ],
        w=-0.5,
    ),
    # 107: msoftdrop below the window
    event([fj(500, 0.0, 0.0, 20)], INCOMING, w=1.0),
    # 108: msoftdrop on the upper edge (window is half-open)
    event([fj(500, 0.0, 0.0, 250)], INCOMING, w=1.0),
    # 109: Z -> b bbar
    event(
        [fj(800, -1.2, 0.5, 91)],
        [
            *INCOMING,
            (23, 22, HARD_LAST, 0, 800, -1.2, 0.5),
            (5, 23, HARD_LAST, 2, 500, -1.1, 0.6),
            (-5, 23, HARD_LAST, 2, 300, -1.35, 0.35),
            (1, 23, HARD, 0, 800, 1.0, 0.5 - PI),
        ],
        w=3.0,
    ),
    # 110: fully merged top
    top_event(b_eta=0.6, w=0.25),
    # 111: top with its b outside the jet, its W inside -> W
    top_event(b_eta=-0.2, w=0.75),
]
EXPECTED = {103: "W", 104: "quark", 105: "gluon", 106: "unmatched", 109: "Z", 110: "top", 111: "W"}
CUTS = {
    "fatjet_pt_min": 300.0,
    "fatjet_abs_eta_max": 2.4,
    "msoftdrop_min": 30.0,
    "msoftdrop_max": 250.0,
    "match_dr": 0.8,
    "max_constituents": 3,
}
XSEC_PB, LUMI_FB = 2.0, 3.0
EXTRA_SUMW = (4.0, 6.0)  # generated but filtered events, per file: sumw comes from Runs
SUMW = sum(e["w"] for e in EVENTS) + sum(EXTRA_SUMW)  # 24.5


def _flags(names) -> int:
    return sum(1 << STATUS_FLAG_BITS[n] for n in names)


def _collection(rows, dtypes):
    counts = [len(r) for r in rows]
    return ak.zip(
        {
            name: ak.unflatten(np.array([o[name] for r in rows for o in r], dtype=dt), counts)
            for name, dt in dtypes.items()
        }
    )


FATJET_DTYPES = {k: np.float32 for k in fj(1, 0, 0, 1)} | {"nConstituents": np.uint8}


def genpart_rows(events):
    return [
        [
            {
                "pdgId": p[0],
                "status": p[1],
                "statusFlags": _flags(p[2]),
                "genPartIdxMother": p[3],
                "pt": p[4],
                "eta": p[5],
                "phi": p[6],
                "mass": 0.0,
            }
            for p in e["gen"]
        ]
        for e in events
    ]


GENPART_DTYPES = {
    "pt": np.float32,
    "eta": np.float32,
    "phi": np.float32,
    "mass": np.float32,
    "pdgId": np.int32,
    "status": np.int32,
    "statusFlags": np.int32,
    "genPartIdxMother": np.int16,
}


def write_nanoaod(path, events, first_event=100, runs=(None, None), drop=()):
    """Write ``events`` as a NanoAOD TTree file (``runs``: (sumw, count) or None)."""
    n = len(events)
    fatjets = [
        [{k: v for k, v in j.items() if k not in drop} for j in e["fatjets"]] for e in events
    ]
    data = {
        "run": np.ones(n, np.uint32),
        "luminosityBlock": np.full(n, 7, np.uint32),
        "event": np.arange(first_event, first_event + n, dtype=np.uint64),
        "genWeight": np.array([e["w"] for e in events], np.float32),
        "FatJet": _collection(fatjets, {k: v for k, v in FATJET_DTYPES.items() if k not in drop}),
        "GenPart": _collection(genpart_rows(events), GENPART_DTYPES),
        "PFCands": _collection(
            [
                [
                    dict(zip(("pt", "eta", "phi", "charge", "pdgId"), p, strict=True))
                    | {"mass": 0.0}
                    for p in e["pf"]
                ]
                for e in events
            ],
            {
                "pt": np.float32,
                "eta": np.float32,
                "phi": np.float32,
                "mass": np.float32,
                "charge": np.int32,
                "pdgId": np.int32,
            },
        ),
        "FatJetPFCands": _collection(
            [[{"jetIdx": a[0], "pFCandsIdx": a[1]} for a in e["assoc"]] for e in events],
            {"jetIdx": np.int32, "pFCandsIdx": np.int32},
        ),
    }
    data = {k: v for k, v in data.items() if k not in drop}
    with uproot.recreate(path) as f:
        f.mktree("Events", data)
        if runs is not None:
            sumw, count = runs
            f.mktree(
                "Runs",
                {
                    "run": np.ones(1, np.uint32),
                    "genEventCount": np.array([count], np.int64),
                    "genEventSumw": np.array([sumw], np.float64),
                },
            )
    return str(path)


def write_sample(directory):
    """The two files of the synthetic sample (events 100-105 and 106-111)."""
    halves = (EVENTS[:6], EVENTS[6:])
    return [
        write_nanoaod(
            directory / f"part{i}.root",
            evs,
            first_event=100 + 6 * i,
            runs=(sum(e["w"] for e in evs) + EXTRA_SUMW[i], len(evs) + 4),
        )
        for i, evs in enumerate(halves)
    ]


def run_skim(files, out_dir, cuts=CUTS, **kwargs):
    out_parquet, out_cutflow = out_dir / "s.parquet", out_dir / "s.cutflow.json"
    summary = skim_sample(
        files,
        "s",
        kwargs.pop("xsec_pb", XSEC_PB),
        LUMI_FB,
        cuts,
        out_parquet,
        out_cutflow,
        **kwargs,
    )
    return summary, ak.from_parquet(out_parquet), json.loads(out_cutflow.read_text())


def assert_monotonic(cutflow, weighted=True):
    events = [s["events"] for s in cutflow["steps"]]
    assert events == sorted(events, reverse=True)
    if weighted:  # not guaranteed in general with negative genWeights
        w = [s["weighted"] for s in cutflow["steps"]]
        assert all(a >= b - 1e-9 * abs(a) for a, b in itertools.pairwise(w))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    directory = tmp_path_factory.mktemp("synthetic")
    files = write_sample(directory)
    summary, table, cutflow = run_skim(files, directory / "out", chunksize=4)
    return {"files": files, "summary": summary, "table": table, "cutflow": cutflow}


def test_synthetic_cutflow(synthetic):
    cutflow = synthetic["cutflow"]
    assert cutflow["sample"] == "s"
    assert (cutflow["xsec_pb"], cutflow["lumi_fb"], cutflow["sumw"]) == (XSEC_PB, LUMI_FB, 24.5)
    assert [s["name"] for s in cutflow["steps"]] == ["all", "has_fatjet", "pt", "eta", "msoftdrop"]
    assert [s["events"] for s in cutflow["steps"]] == [12, 11, 10, 9, 7]
    scale = XSEC_PB * LUMI_FB * 1000 / SUMW
    # summed genWeight after each step, by hand
    expected = [14.5, 13.5, 11.5, 10.0, 8.0]
    assert [s["weighted"] for s in cutflow["steps"]] == pytest.approx([scale * w for w in expected])
    assert_monotonic(cutflow)
    assert synthetic["summary"]["events"] == 12
    assert synthetic["summary"]["selected"] == 7


def test_synthetic_selection_and_weights(synthetic):
    table = synthetic["table"]
    assert ak.fields(table) == list(COLUMNS)
    assert table["event"].to_list() == [103, 104, 105, 106, 109, 110, 111]  # file, entry order
    assert set(table["sample"].to_list()) == {"s"}
    assert set(table["run"].to_list()) == {1}
    gen_weight = table["genWeight"].to_numpy()
    assert gen_weight.tolist() == [0.5, 1.5, 2.5, -0.5, 3.0, 0.25, 0.75]
    weight = table["weight"].to_numpy()
    assert weight.sum() == pytest.approx(XSEC_PB * LUMI_FB * 1000 * gen_weight.sum() / SUMW)
    assert weight == pytest.approx(XSEC_PB * LUMI_FB * 1000 * gen_weight / SUMW)
    # the highest-pT jet was taken (event 103: the second jet), with its own fields
    assert table["fj_pt"].to_list() == [600, 450, 700, 400, 800, 900, 900]
    assert table["fj_tau1"].to_numpy() == pytest.approx(table["fj_pt"].to_numpy() / 1000)
    assert table["fj_msoftdrop"].to_list()[0] == 82
    assert table["fj_nconst"].to_list()[0] == 5
    assert table["fj_d2b1"].to_numpy() == pytest.approx(1.5)
    types = {f: str(table[f].type.content) for f in ("fj_pt", "label_code", "weight", "pfc_pdgId")}
    assert types == {
        "fj_pt": "float32",
        "label_code": "int8",
        "weight": "float64",
        "pfc_pdgId": "var * int32",
    }


def test_synthetic_labels(synthetic):
    table = synthetic["table"]
    labels = dict(zip(table["event"].to_list(), table["label"].to_list(), strict=True))
    assert labels == EXPECTED
    assert [LABELS[x] for x in table["label"].to_list()] == table["label_code"].to_list()


def test_synthetic_constituents(synthetic):
    table = synthetic["table"]
    first = table[0]  # event 103: leading jet 1 owns PFCands 0, 2, 3, 5, 6; keep 3 by pT
    assert first["pfc_pt"].to_list() == [200, 120, 50]
    assert first["pfc_charge"].to_list() == [-1, 0, 1]
    assert first["pfc_pdgId"].to_list() == [-211, 22, 211]
    assert first["pfc_eta"].to_list() == pytest.approx([0.1, 0.4, 0.2])
    assert ak.num(table["pfc_pt"]).to_list() == [3, 0, 0, 0, 0, 0, 0]
    pt = table["pfc_pt"]
    assert ak.all(pt[:, 1:] <= pt[:, :-1])


def test_processor_direct_call_matches_coffea_constituents(synthetic):
    """The processor needs no Runner; its constituents equal coffea's FatJet.constituents."""

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        events = NanoEventsFactory.from_root(
            {synthetic["files"][0]: "Events"},
            schemaclass=NanoAODSchema,
            mode="virtual",
            metadata={"dataset": "d", "filename": synthetic["files"][0]},
        ).events()
    cuts = {**CUTS, "max_constituents": 100}
    out = LeadingFatJetProcessor(cuts, {"d": None}).process(events)
    ((filename, start, table, cutflow),) = out["d"]
    assert (filename, start) == (synthetic["files"][0], 0)
    assert table["event"].to_list() == [103, 104, 105]
    assert table["weight"].to_list() == [1.0, 1.0, 1.0]  # no normalisation: data-like
    # coffea unflattens FatJetPFCands with FatJet_nConstituents; event 103, jet 1
    assert events.FatJet.pt[3].to_list() == [200, 600]
    idx = events.FatJet.constituents.pFCandsIdx[3][1]
    expected = sorted(events.PFCands[3][idx].pt.to_list(), reverse=True)
    assert table["pfc_pt"][0].to_list() == expected == [200, 120, 50, 30, 10]
    assert cutflow["msoftdrop"] == {"events": 3, "weighted": 3.0}


@pytest.mark.parametrize("fraction", [0.0, 0.4, 1.0])
def test_event_selection_and_constituent_order_equal_plain_awkward(fraction):
    """The skim's NumPy selection of a jagged collection equals awkward's
    ``collection[selected]``, and its per-event pT ordering of the leading jet's
    constituents equals a global (event, -pT) lexsort, ties in association order."""
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 6, 400)
    counts[:3] = 0  # events without any entry
    n = int(counts.sum())
    pt = np.round(rng.exponential(5.0, n)).astype(np.float32)  # many ties
    fields = {"pt": pt, "eta": rng.normal(0, 1, n), "phi": rng.uniform(-3, 3, n)}
    fields.update(mass=np.zeros(n), pdgId=rng.integers(-211, 212, n))
    cands = ak.unflatten(ak.zip(fields), counts)
    selected = rng.random(len(counts)) < fraction
    chosen = processor_module._select_events(cands, selected, ("pt", "pdgId"))
    assert ak.array_equal(chosen, cands[selected][["pt", "pdgId"]])

    # every selected event's candidates belong to its leading jet (jetIdx 0)
    n_sel = int(selected.sum())
    assoc = ak.unflatten(
        ak.zip({"jetIdx": np.zeros(n, np.int64), "pFCandsIdx": ak.flatten(ak.local_index(cands))}),
        counts,
    )
    events = ak.zip({"FatJetPFCands": assoc, "PFCands": cands}, depth_limit=1)
    offsets, values = processor_module._constituents(
        events, selected, np.zeros(n_sel, np.int64), 4, "test", np.arange(n_sel)
    )
    expected = ak.sort(cands[selected].pt, axis=1, ascending=False)[:, :4]
    assert np.array_equal(np.diff(offsets), ak.num(expected))
    assert np.array_equal(values["pt"], ak.flatten(expected).to_numpy())
    order = np.lexsort((-pt.astype(np.float64), np.repeat(np.arange(len(counts)), counts)))
    by_event = ak.unflatten(ak.flatten(cands.pdgId).to_numpy()[order], counts)[selected][:, :4]
    assert np.array_equal(values["pdgId"], ak.flatten(by_event).to_numpy())


@pytest.mark.slow  # starts worker processes that import coffea (~10 s on 2 cores)
def test_futures_executor_gives_the_same_output(synthetic, tmp_path):
    _summary, table, cutflow = run_skim(
        synthetic["files"], tmp_path, chunksize=4, executor="futures", workers=2
    )
    assert table.to_list() == synthetic["table"].to_list()
    assert cutflow == synthetic["cutflow"]


@pytest.mark.slow  # starts a local Dask cluster of 2 worker processes
def test_dask_executor_gives_the_same_output(synthetic, tmp_path):
    _summary, table, cutflow = run_skim(
        synthetic["files"],
        tmp_path,
        chunksize=4,
        executor="dask",
        workers=2,
        dask={"cluster": "local"},
    )
    assert table.to_list() == synthetic["table"].to_list()
    assert cutflow == synthetic["cutflow"]


def test_unknown_executor_is_refused_before_any_io(synthetic, tmp_path):
    with pytest.raises(ValueError, match="unknown executor 'spark'"):
        run_skim(synthetic["files"], tmp_path, executor="spark")
    assert not (tmp_path / "s.parquet").exists()


def test_labels_on_plain_awkward_arrays():
    """No coffea, no files: records with the NanoAOD GenPart fields."""
    selected = [e for e, i in zip(EVENTS, range(100, 112), strict=True) if i in EXPECTED]
    genpart = _collection(genpart_rows(selected), GENPART_DTYPES)
    leading = [max(e["fatjets"], key=lambda j: j["pt"]) for e in selected]
    jet = ak.zip({"eta": [j["eta"] for j in leading], "phi": [j["phi"] for j in leading]})
    codes = label_codes(jet, genpart, match_dr=0.8)
    assert [list(LABELS)[c] for c in codes] == list(EXPECTED.values())
    # without "status" the kept-proton event (106) still excludes the mother-less parton
    # only; its other incoming parton (status 21, with a mother) then counts as a quark
    no_status = ak.zip({f: genpart[f] for f in ak.fields(genpart) if f != "status"})
    assert list(LABELS)[label_codes(jet, no_status)[3]] == "quark"
    # a tighter cone loses the W's quarks (DeltaR(u, jet) = 0.28)
    assert list(LABELS)[label_codes(jet[:1], genpart[:1], match_dr=0.25)[0]] == "unmatched"
    # no jet, no generator record
    none_jet = ak.Array([None, {"eta": -0.3, "phi": -2.0}])
    assert label_codes(none_jet, genpart[:2]).tolist() == [0, LABELS["quark"]]
    assert label_codes(jet, None).tolist() == [0] * len(selected)


def test_zero_selected_writes_typed_empty_outputs(synthetic, tmp_path):
    cuts = {**CUTS, "fatjet_pt_min": 1e5}
    summary, table, cutflow = run_skim(synthetic["files"], tmp_path, cuts=cuts)
    assert summary["selected"] == 0
    assert len(table) == 0
    assert ak.fields(table) == list(COLUMNS)
    assert str(table.type.content) == str(synthetic["table"].type.content)
    assert [s["events"] for s in cutflow["steps"]] == [12, 11, 0, 0, 0]
    assert cutflow["steps"][-1]["weighted"] == 0.0
    merged = ak.concatenate([table, synthetic["table"]])  # later merges must not crash
    assert len(merged) == 7


def test_missing_branch_is_named(tmp_path):
    path = write_nanoaod(tmp_path / "nomsd.root", EVENTS[:3], runs=(1.0, 3), drop=("msoftdrop",))
    with pytest.raises(SkimInputError, match=r"nomsd\.root.*'FatJet_msoftdrop'"):
        check_input_file(path)
    out = tmp_path / "out"
    with pytest.raises(SkimInputError, match="FatJet_msoftdrop"):
        run_skim([path], out)
    assert not out.exists() or os.listdir(out) == []


def test_truncated_file_is_named(tmp_path):
    good = write_nanoaod(tmp_path / "good.root", EVENTS, runs=(1.0, 12))
    path = tmp_path / "cut.root"
    data = Path(good).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SkimInputError, match=r"cut\.root"):
        check_input_file(path)
    out = tmp_path / "out"
    with pytest.raises(SkimInputError, match=r"cut\.root"):
        run_skim([good, str(path)], out)
    assert not out.exists() or os.listdir(out) == []
    with pytest.raises(SkimInputError, match=r"nothere\.root: no such file"):
        check_input_file(tmp_path / "nothere.root")


def test_normalisation_errors(tmp_path):
    with pytest.raises(SkimInputError, match="no input files"):
        read_normalisation([])
    no_runs = write_nanoaod(tmp_path / "noruns.root", EVENTS[:2], runs=None)
    with pytest.raises(SkimInputError, match=r"noruns\.root: has no 'Runs' tree"):
        read_normalisation([no_runs])
    # with sumw given explicitly the sample still skims
    summary, _table, cutflow = run_skim([no_runs], tmp_path / "out", sumw=3.0)
    assert cutflow["sumw"] == 3.0
    assert summary["events"] == 2
    with pytest.raises(ValueError, match="unknown skim cut"):
        run_skim([no_runs], tmp_path / "out2", cuts={"fatjet_ptmin": 1.0})


def test_rntuple_events_are_rejected_clearly(tmp_path):
    path = tmp_path / "rntuple.root"
    with uproot.recreate(path) as f:
        f.mkrntuple("Events", {"run": np.ones(3, np.uint32)})  # also what f["Events"] = ... does
    with pytest.raises(SkimInputError, match="not a TTree"):
        check_input_file(path)


# --- real CMS NanoAOD from the coffea sdist ----------------------------------------------

LOOSE = {
    "fatjet_pt_min": 170.0,
    "fatjet_abs_eta_max": 2.5,
    "msoftdrop_min": 0.0,
    "msoftdrop_max": 1000.0,
    "match_dr": 0.8,
    "max_constituents": 50,
}


def _sum_genweight(path) -> float:
    return float(uproot.open(path)["Events"]["genWeight"].array(library="np").sum(dtype=np.float64))


@pytest.fixture(scope="module")
def real_skims(real_nanoaod, tmp_path_factory):
    out = tmp_path_factory.mktemp("real")
    configs = {  # file -> (xsec_pb or None for data, sumw override)
        "pfnano.root": (1.0, None),
        "nano_tt_v12.root": (800.0, _sum_genweight(real_nanoaod["nano_tt_v12.root"])),
        "nano_tt_v15.root": (800.0, _sum_genweight(real_nanoaod["nano_tt_v15.root"])),
        "nano_dimuon.root": (None, None),
        "nano_dy.root": (1.0, None),
    }
    result = {}
    for name, (xsec, sumw) in configs.items():
        stem = name.removesuffix(".root")
        summary = skim_sample(
            [real_nanoaod[name]],
            stem,
            xsec,
            1.0,
            LOOSE,
            out / f"{stem}.parquet",
            out / f"{stem}.json",
            sumw=sumw,
        )
        result[name] = {
            "summary": summary,
            "table": ak.from_parquet(out / f"{stem}.parquet"),
            "cutflow": json.loads((out / f"{stem}.json").read_text()),
        }
    return result


def test_real_pfnano(real_nanoaod, real_skims):
    path = real_nanoaod["pfnano.root"]
    norm = read_normalisation([path])
    assert norm.sumw == pytest.approx(_sum_genweight(path)) == pytest.approx(10.0)
    assert (norm.count, norm.n_events) == (10, 10)
    skim = real_skims["pfnano.root"]
    assert_monotonic(skim["cutflow"])
    # one leading jet has msoftdrop = -2e-5 GeV (float noise): outside [0, 1000)
    assert [s["events"] for s in skim["cutflow"]["steps"]] == [10, 10, 10, 10, 9]
    assert skim["cutflow"]["steps"][0]["weighted"] == pytest.approx(1000.0)  # 1 pb x 1 fb^-1
    table = skim["table"]
    assert set(table["label"].to_list()) <= {"quark", "gluon"}  # QCD dijets
    assert (table["fj_nconst"].to_numpy() == -1).all()  # no FatJet_nConstituents in PFNano
    # the constituents are the PFCands the association points to, by decreasing pT
    # with their PUPPI weight applied (PFNano stores it apart), weight-0 candidates dropped
    raw = uproot.open(path)["Events"].arrays(
        [
            "event",
            "FatJet_pt",
            "FatJetPFCands_jetIdx",
            "FatJetPFCands_pFCandsIdx",
            "PFCands_pt",
            "PFCands_puppiWeight",
        ]
    )
    for row in range(len(table)):
        i = int(np.flatnonzero(raw["event"].to_numpy() == table["event"][row])[0])
        lead = int(np.argmax(raw["FatJet_pt"][i].to_numpy()))
        idx = raw["FatJetPFCands_pFCandsIdx"][i][raw["FatJetPFCands_jetIdx"][i] == lead]
        pt = (raw["PFCands_pt"][i][idx] * raw["PFCands_puppiWeight"][i][idx]).to_numpy()
        expected = np.sort(pt[pt > 0])[::-1][: LOOSE["max_constituents"]]
        assert table["pfc_pt"][row].to_list() == pytest.approx(expected.tolist())
    assert ak.all(abs(table["pfc_charge"]) <= 1)
    assert ak.min(ak.num(table["pfc_pt"])) > 0


@pytest.mark.parametrize("name", ["nano_tt_v12.root", "nano_tt_v15.root"])
def test_real_ttbar(real_nanoaod, real_skims, name):
    skim = real_skims[name]
    table, steps = skim["table"], skim["cutflow"]["steps"]
    assert_monotonic(skim["cutflow"])
    assert steps[0]["weighted"] == pytest.approx(800.0 * 1000.0)  # normalised to xsec x lumi
    assert len(table) > 20
    labels = set(table["label"].to_list())
    assert labels & {"W", "top"}, labels  # merged hadronic W / top decays among the jets
    assert labels <= set(LABELS)
    nconst = table["fj_nconst"].to_numpy()
    assert (nconst > 0).all()
    n_pfc = ak.num(table["pfc_pt"]).to_numpy()
    if name == "nano_tt_v12.root":  # standard NanoAOD: no constituents stored
        assert (n_pfc == 0).all()
    else:  # v15: FatJetPFCand / PFCand (no charge: derived from pdgId)
        assert (n_pfc > 0).all()
        assert (n_pfc <= np.minimum(nconst, LOOSE["max_constituents"])).all()
        charged = abs(ak.flatten(table["pfc_pdgId"])) == 211
        assert ak.all(abs(ak.flatten(table["pfc_charge"])[charged]) == 1)
    with pytest.raises(SkimInputError, match=rf"{name}: has no 'Runs' tree"):
        read_normalisation([real_nanoaod[name]])


def test_real_data_and_empty_selection(real_nanoaod, real_skims):
    data = real_skims["nano_dimuon.root"]
    table = data["table"]
    assert len(table) == data["cutflow"]["steps"][-1]["events"] > 0
    assert data["cutflow"]["xsec_pb"] is None
    assert data["cutflow"]["sumw"] is None
    assert (table["weight"].to_numpy() == 1).all()
    assert (table["genWeight"].to_numpy() == 1).all()
    assert set(table["label"].to_list()) == {"unmatched"}
    assert np.isnan(table["fj_d2b1"].to_numpy()).all()
    assert ak.sum(ak.num(table["pfc_pt"])) == 0
    with pytest.raises(SkimInputError, match=r"nano_dimuon\.root.*genEventSumw"):
        read_normalisation([real_nanoaod["nano_dimuon.root"]])

    dy = real_skims["nano_dy.root"]  # no FatJet at all; pre-v6 Runs names
    assert len(dy["table"]) == 0
    assert ak.fields(dy["table"]) == list(COLUMNS)
    assert [s["events"] for s in dy["cutflow"]["steps"]] == [40, 0, 0, 0, 0]
    norm = read_normalisation([real_nanoaod["nano_dy.root"]])
    assert (norm.sumw, norm.count, norm.n_events) == (pytest.approx(1.51666867e10), 850098, 40)


def test_genpart_relations_agree_with_coffea(real_nanoaod):
    """The index-based family relations used by the labels equal coffea's on real NanoAOD."""

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        events = NanoEventsFactory.from_root(
            {real_nanoaod["nano_tt_v12.root"]: "Events"},
            schemaclass=NanoAODSchema,
            mode="virtual",
            entry_stop=50,
        ).events()
    gp = events.GenPart
    flags = ["fromHardProcess", "isLastCopy"]
    assert ak.all(has_flags(gp, flags) == gp.hasFlags(flags))
    assert ak.all(has_flags(gp, "isHardProcess") == gp.hasFlags(["isHardProcess"]))
    counts = ak.num(gp).to_numpy()
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    local = ak.flatten(gp.genPartIdxMother).to_numpy().astype(np.int64)
    event_of = np.repeat(np.arange(len(gp)), counts)
    mother = np.where(local >= 0, local + offsets[event_of], -1)
    # children: particles whose mother is i (coffea: GenPart.children)
    n_children = np.bincount(mother[mother >= 0], minlength=len(mother))
    assert n_children.tolist() == ak.flatten(ak.num(gp.children, axis=2)).to_numpy().tolist()
    # distinct parent (coffea: GenPart.distinctParent), compared by pdgId and pt
    parent = _distinct_parent(mother, ak.flatten(gp.pdgId).to_numpy().astype(np.int64))
    dp = ak.flatten(gp.distinctParent)
    has = ~ak.is_none(dp).to_numpy()
    assert (has == (parent >= 0)).all()
    flat_pdg = ak.flatten(gp.pdgId).to_numpy()
    flat_pt = ak.flatten(gp.pt).to_numpy()
    assert (flat_pdg[parent[has]] == ak.to_numpy(dp.pdgId[has])).all()
    assert (flat_pt[parent[has]] == ak.to_numpy(dp.pt[has])).all()
