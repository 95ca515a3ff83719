"""The NanoAOD branch contract shared by the generator (writer) and the skim (reader).

The generator writes flat ROOT files that follow CMS NanoAOD (plus the PFNano extension for
particle-flow candidates), so that :class:`coffea.nanoevents.NanoAODSchema` reads them as it
reads real data. Everything the skim needs from a file is listed here; real NanoAOD that
lacks the optional groups still skims (constituent-level information is then empty).

Conventions
-----------
* Files are ROOT TTrees (not RNTuples: uproot >= 5.7 writes an RNTuple for
  ``file[name] = data``, so writers use ``mktree``). Tree ``Events``: one entry per event;
  each collection ``X`` has a counter ``nX`` and branches ``X_field``. Tree ``Runs``: one
  entry per (run, chunk) with ``genEventSumw`` and ``genEventCount`` (the skim also accepts
  the old ``genEventSumw_`` / ``genEventCount_`` names).
* Momenta in GeV, angles in radians, pseudorapidity ``eta``; float32 as in NanoAOD.
* ``GenPart`` is a pruned generator record. ``GenPart_genPartIdxMother`` indexes into the
  same event's ``GenPart`` (-1 for none) and always points to an earlier entry.
  ``GenPart_statusFlags`` uses the CMS bit assignment in :data:`STATUS_FLAG_BITS`. The
  truth labels rely on: incoming hard partons have mother -1 and status 21; ``isHardProcess``
  is set on incoming, outgoing and resonance-decay particles; the decay products of a
  W/Z/top have the resonance's ``isLastCopy`` entry as mother (for a top: its b and its W,
  whose own last copy is the mother of the quarks). ``GenPart_status`` is recommended.
* ``FatJetPFCands_jetIdx`` says which FatJet a candidate belongs to and
  ``FatJetPFCands_pFCandsIdx`` which ``PFCands`` entry it is. The generator writes them
  ordered by jet with ``FatJet_nConstituents`` equal to the count per jet (so coffea's
  nested ``FatJet.constituents`` index works); real PFNano may lack ``nConstituents`` or
  store fewer candidates, so the skim groups by ``jetIdx``. The NanoAOD v15 spelling
  ``FatJetPFCand_pfCandIdx`` -> ``PFCand`` is accepted too.
"""

from __future__ import annotations

#: CMS ``GenPart_statusFlags`` bit positions (DataFormats/HepMCCandidate/GenStatusFlags).
STATUS_FLAG_BITS: dict[str, int] = {
    "isPrompt": 0,
    "isDecayedLeptonHadron": 1,
    "isTauDecayProduct": 2,
    "isPromptTauDecayProduct": 3,
    "isDirectTauDecayProduct": 4,
    "isDirectPromptTauDecayProduct": 5,
    "isDirectHadronDecayProduct": 6,
    "isHardProcess": 7,
    "fromHardProcess": 8,
    "isHardProcessTauDecayProduct": 9,
    "isDirectHardProcessTauDecayProduct": 10,
    "fromHardProcessBeforeFSR": 11,
    "isFirstCopy": 12,
    "isLastCopy": 13,
    "isLastCopyBeforeFSR": 14,
}

#: Branches every input file must have for the skim to run (checked up front so a bad file
#: fails naming the missing branch, instead of deep inside coffea).
REQUIRED_EVENT_BRANCHES: tuple[str, ...] = (
    "run",
    "luminosityBlock",
    "event",
    "nFatJet",
    "FatJet_pt",
    "FatJet_eta",
    "FatJet_phi",
    "FatJet_mass",
    "FatJet_msoftdrop",
    "FatJet_tau1",
    "FatJet_tau2",
    "FatJet_tau3",
    "FatJet_n2b1",
)

#: Branches used when present (simulation truth, weights, constituents, extra substructure).
OPTIONAL_EVENT_BRANCHES: tuple[str, ...] = (
    "genWeight",
    "FatJet_tau4",
    "FatJet_d2b1",
    "FatJet_nConstituents",
    "nGenPart",
    "GenPart_pt",
    "GenPart_eta",
    "GenPart_phi",
    "GenPart_mass",
    "GenPart_pdgId",
    "GenPart_status",
    "GenPart_statusFlags",
    "GenPart_genPartIdxMother",
    "nPFCands",
    "PFCands_pt",
    "PFCands_eta",
    "PFCands_phi",
    "PFCands_mass",
    "PFCands_charge",
    "PFCands_pdgId",
    "nFatJetPFCands",
    "FatJetPFCands_jetIdx",
    "FatJetPFCands_pFCandsIdx",
)

#: Branches of the ``Runs`` tree used for the normalisation (simulation only).
RUNS_BRANCHES: tuple[str, ...] = ("run", "genEventCount", "genEventSumw")
