"""The flows' saved models: one ``.npz`` file per model.

Layout: the trainable weights as ``w0, w1, ...`` in the order of the model's
``trainable_variables``, the parameters (a dataclass) as JSON under ``params``, and any
further arrays by name (standardisations, energy range). Written atomically.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np

from lhcml.io import atomic_path


def save_model(path, variables, params, **arrays) -> None:
    """``variables`` (TensorFlow variables), ``params`` (a dataclass) and ``arrays`` to
    ``path`` (atomic)."""
    weights = {f"w{i}": v.numpy() for i, v in enumerate(variables)}
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(
            f,
            params=np.asarray(json.dumps(asdict(params))),
            **{k: np.asarray(v) for k, v in arrays.items()},
            **weights,
        )


def read_model(path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(parameters, arrays)`` of a file written by :func:`save_model` (weights included)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(str(arrays.pop("params"))), arrays


def assign_weights(variables, arrays: dict, path, what: str) -> None:
    """Set ``variables`` from the ``w{i}`` entries of ``arrays``; ValueError naming ``path``
    and ``what`` (the model) if the file holds fewer weights than the model has, or
    weights of other shapes (a file from an earlier architecture)."""
    missing = [i for i in range(len(variables)) if f"w{i}" not in arrays]
    if missing:
        raise ValueError(f"{path}: no weights w{missing[0]} for {what}")
    for i, v in enumerate(variables):
        if tuple(arrays[f"w{i}"].shape) != tuple(v.shape):
            raise ValueError(
                f"{path}: weights w{i} have shape {arrays[f'w{i}'].shape}, {what} needs "
                f"{tuple(v.shape)}: the file was written by another version of the model; "
                "train it again"
            )
        v.assign(arrays[f"w{i}"])


class SavedFlow:
    """Saving and loading for a flow class, in the layout above.

    The class sets ``PARAMS`` (its parameter dataclass), ``ARRAYS`` (the names of the
    arrays its constructor takes after ``params``, in order, kept as attributes of the
    same names) and ``WHAT`` (the model's name in error messages); it has
    ``trainable_variables``.
    """

    PARAMS: type
    ARRAYS: tuple[str, ...]
    WHAT: str

    def save(self, path) -> None:
        """Weights, standardisations and parameters in one ``.npz`` file (atomic)."""
        arrays = {name: np.asarray(getattr(self, name)) for name in self.ARRAYS}
        save_model(path, self.trainable_variables, self.params, **arrays)

    @classmethod
    def load(cls, path):
        """The flow saved at ``path`` by :meth:`save`."""
        params, data = read_model(path)
        params = cls.PARAMS(**params)
        flow = cls(params, *(data[name] for name in cls.ARRAYS))
        assign_weights(flow.trainable_variables, data, path, f"the {cls.WHAT} of {params}")
        return flow
