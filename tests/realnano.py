"""Real CMS NanoAOD test inputs, taken from the coffea source distribution on PyPI.

coffea's sdist ships small real NanoAOD files under ``tests/samples/``. This helper gets
the sdist with pip (the ordinary PyPI client), checks it against a pinned sha256, and
extracts only the files listed in :data:`SAMPLE_FILES` into a cache directory (git-ignored
``tests/.cache``). A marker file holding the sha256 makes later calls a no-op.

What the files hold (inspected for coffea 2026.9.0):

``pfnano.root``
    PFNano (NanoAOD v8-era) QCD dijets, 10 events, pT ~ 1.5 TeV. FatJet with msoftdrop,
    tau1..4, n2b1 (no d2b1, no nConstituents), GenPart, ``FatJetPFCands`` + ``PFCands``
    (with charge), ``Runs`` with ``genEventSumw`` equal to the sum of ``genWeight``.
``nano_tt_v12.root``
    NanoAOD v12 ttbar, 200 events (72 with a FatJet, pT > 170 GeV). FatJet with
    msoftdrop, tau1..4, n2b1, nConstituents; GenPart; no PF candidates; no ``Runs`` tree.
``nano_tt_v15.root``
    NanoAOD v15 ttbar, 200 events (43 with a FatJet). As v12, plus jet constituents in the
    v15 spelling (``FatJetPFCand_pfCandIdx`` into ``PFCand``, no charge); no ``Runs``.
``nano_dy.root``
    Old NanoAOD (v5-era) Drell-Yan, 40 events, no FatJet in any event (zero selected);
    ``Runs`` with the pre-v6 names ``genEventSumw_`` / ``genEventCount_`` for the full
    parent sample (850098 events), so not equal to the sum of the 40 ``genWeight``.
``nano_dimuon.root``
    Real collision data (2018), 40 events, 5 with a FatJet; no ``genWeight``, no GenPart;
    ``Runs`` without ``genEventSumw``.
``nano_dy_empty.root``
    The Drell-Yan file with zero events in ``Events`` (and no ``Runs`` tree).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

COFFEA_VERSION = "2026.9.0"
#: sha256 of ``coffea-2026.9.0.tar.gz`` as served by PyPI.
SDIST_SHA256 = "7dfc1b54d9d1533c8a5bd8a5786d13272ea1a170b0817061d4478f721aedae04"
#: The NanoAOD files extracted from ``tests/samples/`` of the sdist.
SAMPLE_FILES: tuple[str, ...] = (
    "pfnano.root",
    "nano_tt_v12.root",
    "nano_tt_v15.root",
    "nano_dy.root",
    "nano_dimuon.root",
    "nano_dy_empty.root",
)
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent / ".cache" / "coffea-samples"
_MARKER = ".sdist-sha256"

# pip's messages when it cannot talk to the package index at all.
_UNREACHABLE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "ConnectTimeout",
    "ReadTimeout",
    "ProxyError",
    "Could not fetch URL",
    "No matching distribution found",
)


class IndexUnreachable(RuntimeError):
    """pip could not reach the package index (the only reason the real-data tests skip)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _paths(cache_dir: Path) -> dict[str, Path]:
    return {name: cache_dir / name for name in SAMPLE_FILES}


def _cached(cache_dir: Path) -> bool:
    marker = cache_dir / _MARKER
    return (
        marker.is_file()
        and marker.read_text().strip() == SDIST_SHA256
        and all(p.is_file() for p in _paths(cache_dir).values())
    )


def _download_sdist(dest: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--disable-pip-version-check",
        f"coffea=={COFFEA_VERSION}",
        "-d",
        str(dest),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        message = f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
        if any(s in proc.stderr for s in _UNREACHABLE):
            raise IndexUnreachable(message)
        raise RuntimeError(message)
    sdist = dest / f"coffea-{COFFEA_VERSION}.tar.gz"
    if not sdist.is_file():
        raise RuntimeError(f"pip download did not produce {sdist.name} (got {os.listdir(dest)})")
    return sdist


def coffea_sample_files(cache_dir: str | os.PathLike = DEFAULT_CACHE_DIR) -> dict[str, Path]:
    """Paths of the real NanoAOD files of :data:`SAMPLE_FILES`, downloading them if needed.

    Parameters
    ----------
    cache_dir
        Where the files are kept; a no-op when it already holds them together with a
        marker containing :data:`SDIST_SHA256`.

    Returns
    -------
    dict
        File name (e.g. ``"pfnano.root"``) -> path.

    Raises
    ------
    IndexUnreachable
        pip cannot reach the package index.
    RuntimeError
        Any other failure, including a sha256 mismatch of the downloaded sdist.
    """
    cache_dir = Path(cache_dir)
    if _cached(cache_dir):
        return _paths(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coffea-sdist-") as tmp:
        sdist = _download_sdist(Path(tmp))
        digest = _sha256(sdist)
        if digest != SDIST_SHA256:
            raise RuntimeError(
                f"{sdist.name}: sha256 {digest} does not match the pinned {SDIST_SHA256}"
            )
        prefix = f"coffea-{COFFEA_VERSION}/tests/samples/"
        with tarfile.open(sdist, "r:gz") as tar:
            for name in SAMPLE_FILES:
                member = tar.getmember(prefix + name)
                source = tar.extractfile(member)
                if source is None:
                    raise RuntimeError(f"{sdist.name}: {member.name} is not a regular file")
                fd, part = tempfile.mkstemp(prefix=f".{name}.", dir=cache_dir)
                with os.fdopen(fd, "wb") as out:
                    out.write(source.read())
                os.chmod(part, 0o644)
                os.replace(part, cache_dir / name)
    (cache_dir / _MARKER).write_text(SDIST_SHA256 + "\n")
    return _paths(cache_dir)
