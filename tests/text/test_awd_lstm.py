"""The weight-dropped LSTM's GPU warning filter."""

import warnings

from trainwell.text.awd_lstm import quiet_cudnn_weights_warning


def test_cudnn_noncontiguous_weights_warning_is_silenced_for_the_weight_dropped_lstm_only() -> None:
    """cuDNN's "flatten_parameters" warning fires every batch for DropConnect weights (new tensors by design)."""
    message = "RNN module weights are not part of single contiguous chunk of memory."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_cudnn_weights_warning()  # installed at import; again here, inside this test's own filters
        warnings.warn_explicit(message, UserWarning, "awd_lstm.py", 1, module="trainwell.text.awd_lstm")
        warnings.warn_explicit(message, UserWarning, "mine.py", 1, module="my_project.model")
    assert [str(warning.message) for warning in caught] == [message]  # a user's own RNN still hears it
