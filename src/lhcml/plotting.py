"""Publication plots: mplhep style, saved as PDF and PNG, atomically.

Every plot of the workflow goes through :func:`save_figure`, so each one exists in both
formats (PDF for papers, PNG for the HTML report and quick looks) with the same name, and a
failed job never leaves a half-written image.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on batch and CI machines

import matplotlib.pyplot as plt
import mplhep

from lhcml.io import atomic_path

#: Label drawn on every plot of generated events.
EXPERIMENT_LABEL = "lhcml"


def use_style() -> None:
    """The CMS-like mplhep style used for every plot."""
    plt.style.use(mplhep.style.CMS)


def label(ax, lumi_fb: float | None = None, data: bool = False, text: str = "Simulation") -> None:
    """Experiment label with luminosity (fb^-1) and sqrt(s) = 13 TeV on ``ax``."""
    mplhep.label.exp_label(
        exp=EXPERIMENT_LABEL,
        ax=ax,
        data=data,
        llabel=text if not data else "",
        lumi=lumi_fb,
        com=13,
    )


def save_figure(fig, *paths: str | os.PathLike) -> list[Path]:
    """Save ``fig`` to each path (the format follows the suffix) and close it.

    With a single path without a PDF/PNG suffix (e.g. ``results/plots/roc``), writes
    ``roc.pdf`` and ``roc.png``. Returns the written paths.
    """
    if len(paths) == 1 and Path(paths[0]).suffix.lower() not in (".pdf", ".png"):
        base = Path(paths[0])
        paths = (base.with_suffix(".pdf"), base.with_suffix(".png"))
    written = []
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(
                tmp, format=Path(path).suffix.lstrip(".").lower(), dpi=150, bbox_inches="tight"
            )
        written.append(Path(path))
    plt.close(fig)
    return written
