"""Statistical inference: the jet-mass fit, its significance and the AMS working points.

See docs/inference.md. For each tagger:

1. :mod:`.ams` scans the cut on the tagger score and picks the one maximising the HiggsML
   Approximate Median Significance of the weighted W/Z and background yields in the W/Z
   mass window (template split). That cut defines the tagger's *pass region*.
2. :mod:`.pseudodata` draws unweighted pseudo-data (Poisson-fluctuated, each simulated jet
   at most once) from the held-out test split at a configured luminosity, with the W/Z
   signal scaled by an injected signal strength ``mu_inj``. It refuses a luminosity the
   simulated sample cannot supply, naming the sample.
3. :mod:`.model` builds the zfit model of the soft-drop mass in the pass region: W and Z
   double-sided Crystal Ball peaks (shapes from a fit to simulation, then fixed; W:Z ratio
   from simulation) sharing one signal strength ``mu``, plus a Bernstein polynomial for
   the QCD continuum with floating coefficients.
4. :mod:`.fit` runs the extended unbinned maximum-likelihood fit (Minuit; Hesse and Minos
   errors, fit status, covariance quality; an invalid fit reports ``valid: false`` and no
   numbers), :mod:`.significance` the discovery significance (hepstats asymptotic
   calculator), :mod:`.toys` the toy study (bias and pull of ``mu``), the injection scan
   and the spurious-signal test.
5. :mod:`.plots` draws the fits, pulls, AMS scans and the injection scan;
   :mod:`.workflow` holds what the Snakemake scripts call.

Units: GeV for masses, fb^-1 for luminosities. ``mu`` is the signal strength relative to
the simulated W/Z(->qq) + parton cross section (``mu = 1``: the Standard Model).
"""

#: What a scan point's fit leaves out, recorded in its output and in the summary.
SCAN_FIT_NOTE = (
    "scan points: AMS cut, templates, spurious signal and binned model as for a tagger; "
    "nominal and stat-only fits without the JES nuisance (rescoring needs a tagger's saved "
    "model through inference_jes), no impacts, scans or toys"
)
