"""The featurizers' sparse matrices joined in one step.

Rasa: Message._combine_features joins the sparse features of the
featurizers pairwise with scipy's hstack, which builds and checks an
intermediate COO matrix at every step (for every message parsed).

Patch: when all features are sparse with the same number of rows, the COO
arrays are glued once (columns shifted by the widths before them). Anything
else (dense, one feature, mismatched rows) goes to Rasa's own method, with
Rasa's errors.

Same decisions: the same matrix (entries, order, dtype) and the same origin
(tests compare with Rasa's method on random matrices of mixed dtypes).
"""

from __future__ import annotations

from typing import Any, List

import numpy as np
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot_rasa.patches._switch import Replacement, Switch

NAME = "sparse_join"
SUMMARY = "sparse features of the featurizers joined in one step instead of pairwise scipy hstack"
_rasa_combine_features: Any = None  # Rasa's Message._combine_features while the patch is on


def combine_features(features: List[Any], featurizers: List[Any]) -> Any:
    """Message._combine_features for sparse features in one step."""
    if (
        len(features) < 2
        or not all(f.is_sparse() for f in features)
        or len({f.features.shape[0] for f in features}) != 1
    ):
        return _rasa_combine_features(features, featurizers)  # Rasa's own path and errors
    blocks = [f.features.tocoo() for f in features]
    offsets = np.cumsum([0] + [block.shape[1] for block in blocks])
    matrix = scipy.sparse.coo_matrix(
        (
            np.concatenate([block.data for block in blocks]),
            (
                np.concatenate([block.row for block in blocks]),
                np.concatenate([block.col + offset for block, offset in zip(blocks, offsets)]),
            ),
        ),
        shape=(blocks[0].shape[0], int(offsets[-1])),
    )
    first = features[0]
    return Features(matrix, first.type, first.attribute, featurizers)


def _replacements() -> List[Replacement]:
    return [Replacement(Message, "_combine_features", staticmethod(combine_features), "_rasa_combine_features")]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
