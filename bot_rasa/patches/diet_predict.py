"""DIET (and every RasaModel) called through its concrete TensorFlow function.

Rasa: RasaModel._rasa_predict calls a tf.function, whose argument binding
and dispatch cost ~1.5 ms of the ~5 ms DIET needs per message.

Patch: after the first call has traced the function (through Rasa's own
path), the one concrete function is called directly with the same tensors
in the same order; anything unexpected (eager mode, not traced yet, a
different number of inputs) goes to Rasa's own method.

Same decisions: the same outputs (tests compare intents, confidences,
rankings and entities on held-out texts with the patch on and off).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.utils.tensorflow.models import RasaModel

from bot_rasa.patches._switch import Replacement, Switch

NAME = "diet_predict"
SUMMARY = "DIET's prediction through its traced concrete TensorFlow function instead of tf.function dispatch"
_rasa_predict: Any = None  # Rasa's RasaModel._rasa_predict while the patch is on


def _as_tensor(value: Any, dtype: Any) -> Any:
    import numpy as np
    import tensorflow as tf

    if isinstance(value, np.ndarray) and value.dtype == dtype.as_numpy_dtype:
        return tf.constant(value)  # the common case, without convert_to_tensor's dispatch
    tensor = tf.convert_to_tensor(value, dtype_hint=dtype)
    return tensor if tensor.dtype == dtype else tf.cast(tensor, dtype)


def flat_rasa_predict(self: Any, batch_in: Any) -> Dict[Text, Any]:
    """RasaModel._rasa_predict without tf.function's per-call dispatch."""
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA

    if self._run_eagerly or self._tf_predict_step is None:
        traced: Dict[Text, Any] = _rasa_predict(self, batch_in)  # the first call traces the function
        return traced
    concrete = self.__dict__.get("_nw_concrete")
    if concrete is None:
        concrete = self._tf_predict_step.get_concrete_function()
        specs = tf.nest.flatten(concrete.structured_input_signature, expand_composites=True)
        self._nw_concrete = concrete
        self._nw_dtypes = [spec.dtype for spec in specs]
    flat = tf.nest.flatten(batch_in, expand_composites=True)
    if len(flat) != len(self._nw_dtypes):
        unexpected: Dict[Text, Any] = _rasa_predict(self, batch_in)
        return unexpected
    tensors = [_as_tensor(value, dtype) for value, dtype in zip(flat, self._nw_dtypes)]
    outputs: Dict[Text, Any] = tf_utils.sync_to_numpy_or_python_type(
        concrete._call_flat(tensors, concrete.captured_inputs)
    )
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


def _replacements() -> List[Replacement]:
    return [Replacement(RasaModel, "_rasa_predict", flat_rasa_predict, "_rasa_predict")]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
