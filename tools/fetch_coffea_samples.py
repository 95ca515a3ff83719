"""Fetch the real CMS NanoAOD files of coffea's source distribution (pip, sha256-pinned).

Used by `make opendata-files` before `snakemake --configfile config/opendata.yaml`; the
files land in tests/.cache/coffea-samples (git-ignored), where the tests find them too.
The workflow itself downloads nothing.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from realnano import coffea_sample_files

if __name__ == "__main__":
    for name, path in coffea_sample_files().items():
        print(f"{name}: {path}")
