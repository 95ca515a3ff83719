"""Checking skim inputs up front and reading the per-sample normalisation.

A bad input should fail before any processing starts, with a message that names the file
and what is wrong with it (missing tree, missing branch, truncated or corrupt file), not
deep inside coffea with a chained traceback. Everything here reads metadata only (tree
and branch names, basket positions, the small ``Runs`` tree), so it is cheap to run on
every file of a sample.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import uproot

from lhcml.nanoaod import REQUIRED_EVENT_BRANCHES

log = logging.getLogger("lhcml.skim")

#: XRootD client settings for ``root://`` inputs, used unless the environment already sets
#: them: the client's own defaults (5 attempts x 120 s) make an unreachable server fail only
#: after about 10 minutes; with these it fails after about 30 s, naming the URL.
XROOTD_DEFAULTS = {
    "XRD_CONNECTIONWINDOW": "15",
    "XRD_CONNECTIONRETRY": "2",
    "XRD_REQUESTTIMEOUT": "120",
}
for _name, _value in XROOTD_DEFAULTS.items():
    os.environ.setdefault(_name, _value)  # read when the XRootD client first loads

#: Name of the event tree in NanoAOD files.
EVENTS_TREE = "Events"
#: Name of the per-run summary tree in NanoAOD files.
RUNS_TREE = "Runs"


class SkimInputError(ValueError):
    """An input file cannot be skimmed; the message names the file and the reason."""


@dataclass(frozen=True)
class Normalisation:
    """Generator-level normalisation of one sample (summed over its files).

    Attributes
    ----------
    sumw
        Sum of ``genEventSumw`` over the ``Runs`` entries of all files: the sum of
        ``genWeight`` over all *generated* events (before any selection, including events
        that a NanoAOD-level filter may have dropped from ``Events``).
    count
        Sum of ``genEventCount``: the number of generated events.
    n_events
        Number of entries of the ``Events`` trees (events available to the skim).
    """

    sumw: float
    count: int
    n_events: int


def _describe(err: BaseException, limit: int = 300) -> str:
    """``Type: message`` on one line (uproot's deserialisation errors span pages)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = " ".join(lines[:2])
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(err).__name__}: {text}"


def _is_local(path: str) -> bool:
    return "://" not in str(path) or str(path).startswith("file://")


def _local_path(path: str) -> str:
    path = str(path)
    return path[len("file://") :] if path.startswith("file://") else path


def _open(path: str | os.PathLike) -> uproot.ReadOnlyDirectory:
    """``uproot.open`` with every failure turned into a :class:`SkimInputError`."""
    path = os.fspath(path)
    if _is_local(path) and not os.path.exists(_local_path(path)):
        raise SkimInputError(f"{path}: no such file")
    try:
        root = uproot.open(path)
    except Exception as err:  # uproot raises OSError, ValueError, struct.error, ...
        raise SkimInputError(f"{path}: cannot open as a ROOT file ({_describe(err)})") from err
    if _is_local(path):
        # The ROOT header records where the file ends (fEND); a shorter file on disk was
        # truncated (interrupted copy or write) even if its first keys still read.
        size = os.path.getsize(_local_path(path))
        end = int(root.file.fEND)
        if size < end:
            root.close()
            raise SkimInputError(
                f"{path}: truncated ROOT file ({size} bytes on disk, header says {end})"
            )
    return root


def _get_tree(root: uproot.ReadOnlyDirectory, path: str, name: str):
    try:
        if name not in root:
            raise SkimInputError(f"{path}: has no tree '{name}' (keys: {sorted(root.keys())})")
        obj = root[name]
    except SkimInputError:
        raise
    except Exception as err:
        raise SkimInputError(f"{path}: cannot read tree '{name}' ({_describe(err)})") from err
    if not isinstance(obj, uproot.TTree):
        kind = getattr(obj, "classname", type(obj).__name__)
        raise SkimInputError(
            f"{path}: '{name}' is a {kind}, not a TTree (the skim reads NanoAOD TTrees; "
            "note that uproot >= 5.7 writes an RNTuple for `file[name] = data`, use "
            "`file.mktree(name, data)` for a TTree)"
        )
    return obj


def _check_baskets(tree, path: str, branches: Iterable[str], size: int | None) -> None:
    """Every basket of ``branches`` must lie inside the file (catches cut-off payloads)."""
    if size is None:
        return
    for name in branches:
        branch = tree[name]
        n = branch.num_baskets
        seeks = np.asarray(branch.member("fBasketSeek")[:n], dtype=np.int64)
        nbytes = np.asarray(branch.member("fBasketBytes")[:n], dtype=np.int64)
        if n and int((seeks + nbytes).max()) > size:
            raise SkimInputError(
                f"{path}: branch '{name}' points past the end of the file (truncated file)"
            )


@dataclass(frozen=True)
class FileInfo:
    """What :func:`inspect_file` learnt about one input file.

    Attributes
    ----------
    path
        The file as given.
    n_events
        Entries of the ``Events`` tree.
    uuid
        The ROOT file's UUID (16 bytes; coffea's chunking metadata).
    sumw, count
        ``Runs`` sums of ``genEventSumw`` / ``genEventCount``; ``None`` unless asked for,
        or when the file has no ``Runs`` tree (see :func:`sum_gen_weight`).
    branches
        Names of the event tree's branches.
    """

    path: str
    n_events: int
    uuid: bytes
    sumw: float | None = None
    count: int | None = None
    branches: frozenset = frozenset()


def inspect_file(
    path: str | os.PathLike,
    required: Sequence[str] = REQUIRED_EVENT_BRANCHES,
    normalisation: bool = False,
    tree: str = EVENTS_TREE,
) -> FileInfo:
    """Open a file once: check it (see :func:`check_input_file`) and read its metadata.

    Parameters
    ----------
    path
        Local path or URL (anything ``uproot.open`` accepts).
    required
        Branches the event tree must have (checked in order).
    normalisation
        Also read ``genEventSumw`` / ``genEventCount`` from the ``Runs`` tree (see
        :func:`read_normalisation` for the errors).
    tree
        Name of the event tree.
    """
    path = os.fspath(path)
    root = _open(path)
    try:
        events = _get_tree(root, path, tree)
        try:
            names = set(events.keys())
        except Exception as err:
            raise SkimInputError(
                f"{path}: cannot read the branch list of '{tree}' ({_describe(err)})"
            ) from err
        for name in required:
            if name not in names:
                raise SkimInputError(f"{path}: tree '{tree}' has no branch '{name}'")
        size = os.path.getsize(_local_path(path)) if _is_local(path) else None
        try:
            _check_baskets(events, path, required, size)
            n_events = int(events.num_entries)
        except SkimInputError:
            raise
        except Exception as err:
            raise SkimInputError(f"{path}: corrupt tree '{tree}' ({_describe(err)})") from err
        sumw = count = None
        if normalisation and RUNS_TREE in root:  # else: sumw from genWeight (sum_gen_weight)
            runs = _get_tree(root, path, RUNS_TREE)
            sumw = float(np.sum(_runs_column(runs, path, "genEventSumw"), dtype=np.float64))
            count = int(np.sum(_runs_column(runs, path, "genEventCount"), dtype=np.int64))
            log.debug("%s: genEventSumw=%g genEventCount=%d", path, sumw, count)
        uuid = bytes(root.file.fUUID)
    finally:
        root.close()
    return FileInfo(
        path=path, n_events=n_events, uuid=uuid, sumw=sumw, count=count, branches=frozenset(names)
    )


def check_input_file(
    path: str | os.PathLike,
    required: Sequence[str] = REQUIRED_EVENT_BRANCHES,
    tree: str = EVENTS_TREE,
) -> int:
    """Check that a file can be skimmed, before any processing starts.

    Parameters
    ----------
    path
        Local path or URL (anything ``uproot.open`` accepts).
    required
        Branch names the ``Events`` tree must have, in the order they are checked; the
        default is :data:`lhcml.nanoaod.REQUIRED_EVENT_BRANCHES`.
    tree
        Name of the event tree.

    Returns
    -------
    int
        The number of entries (events) in the tree.

    Raises
    ------
    SkimInputError
        Naming the file and the first problem found: missing file, not a ROOT file,
        truncated or corrupt file, missing tree (or an RNTuple where a TTree is expected),
        the first missing branch, or a basket of a required branch beyond the end of the
        file.
    """
    return inspect_file(path, required, tree=tree).n_events


def _runs_column(runs, path: str, name: str) -> np.ndarray:
    """A ``Runs`` column, accepting the pre-v6 NanoAOD spelling with a trailing ``_``."""
    for candidate in (name, name + "_"):
        if candidate in set(runs.keys()):
            try:
                return np.asarray(runs[candidate].array(library="np"))
            except Exception as err:
                raise SkimInputError(
                    f"{path}: cannot read '{RUNS_TREE}/{candidate}' ({_describe(err)})"
                ) from err
    raise SkimInputError(
        f"{path}: tree '{RUNS_TREE}' has no branch '{name}' (collision data has no generator "
        "weights: give the sample role: data and no xsec_pb)"
    )


def read_normalisation(paths: Sequence[str | os.PathLike]) -> Normalisation:
    """Sum the generator normalisation of a sample over its files.

    Parameters
    ----------
    paths
        All files of one simulated sample. ``sumw`` must be summed over *all* of them,
        not per file, so that the per-event weight ``xsec * lumi * genWeight / sumw``
        normalises the whole sample to ``xsec * lumi``.

    Returns
    -------
    Normalisation
        ``sumw`` (sum of ``Runs/genEventSumw``), ``count`` (sum of
        ``Runs/genEventCount``) and ``n_events`` (sum of ``Events`` entries). The pre-v6
        NanoAOD names ``genEventSumw_`` / ``genEventCount_`` are accepted too.

    Raises
    ------
    SkimInputError
        No files given; a file that cannot be opened; a file without a ``Runs`` tree or
        without ``genEventSumw`` in it (real data), naming the file.
    """
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise SkimInputError("no input files given: cannot compute the normalisation (sumw)")
    infos = [inspect_file(p, required=(), normalisation=True) for p in paths]
    for info in infos:
        if info.sumw is None:
            raise SkimInputError(
                f"{info.path}: has no '{RUNS_TREE}' tree, so no genEventSumw (the skim then "
                "sums genWeight over all events: lhcml.skim.inputs.sum_gen_weight)"
            )
    return sum_normalisation(infos)


#: Branches from which the skim rebuilds a missing FatJet_d2b1 (the jet constituents).
CONSTITUENT_BRANCHES = (
    ("FatJetPFCands_pFCandsIdx", "PFCands_pt"),
    ("FatJetPFCand_pfCandIdx", "PFCand_pt"),
)


def missing_features(info: FileInfo) -> dict[str, str]:
    """Substructure features a file can give neither as a branch nor from constituents:
    ``{feature: reason}`` (feature names as in :mod:`lhcml.features.highlevel`)."""
    has_constituents = any(set(pair) <= info.branches for pair in CONSTITUENT_BRANCHES)
    if "FatJet_d2b1" not in info.branches and not has_constituents:
        return {"d2": "no branch FatJet_d2b1 and no jet constituents to recompute it from"}
    return {}


def sum_gen_weight(paths: Sequence[str], tree: str = EVENTS_TREE) -> float:
    """Sum of ``genWeight`` over all events of all ``paths`` (files without ``Runs``).

    Equals the generator's sum of weights when no event was filtered before NanoAOD
    (then ``Runs/genEventSumw`` would be the same number). Raises :class:`SkimInputError`
    naming a file without ``genWeight`` or with a non-finite one.
    """
    total = []
    for path in paths:
        root = _open(path)
        try:
            events = _get_tree(root, path, tree)
            if "genWeight" not in set(events.keys()):
                raise SkimInputError(
                    f"{path}: tree '{tree}' has no branch 'genWeight' and the file no "
                    f"'{RUNS_TREE}' tree: no sum of generator weights (collision data is "
                    "role: data; or give the sample's sumw)"
                )
            weights = np.asarray(events["genWeight"].array(library="np"), dtype=np.float64)
        finally:
            root.close()
        bad = ~np.isfinite(weights)
        if bad.any():
            raise SkimInputError(
                f"{path}: branch 'genWeight' has {int(bad.sum())} non-finite value(s), first "
                f"at entry {int(np.flatnonzero(bad)[0])}"
            )
        total.append(math.fsum(weights))
    return math.fsum(total)


def sum_normalisation(infos: Iterable[FileInfo]) -> Normalisation:
    """The :class:`Normalisation` of files inspected with ``normalisation=True``."""
    infos = list(infos)
    if not infos:
        raise SkimInputError("no input files given: cannot compute the normalisation (sumw)")
    return Normalisation(
        sumw=math.fsum(i.sumw for i in infos),
        count=sum(i.count for i in infos),
        n_events=sum(i.n_events for i in infos),
    )
