"""Sequence labelling: a tag for every word of a sentence (named entities, parts of speech).

The application's usual shape: ``data.py`` (:func:`tagging_data`, from CoNLL / CoNLL-U files, a folder of
splits, or Python pairs), ``models.py`` (the BiLSTM-CRF), ``learner.py`` (:func:`tagging_learner`),
``pipeline.py`` (:func:`fit_tagger`, the whole job in one call) and ``predictor.py`` (raw text in, tags and
entities with character offsets out); plus the file formats (``conll.py``), tag schemes and entity spans
(``scheme.py``), a Penn-Treebank-like word splitter (``words.py``) and the CRF layer (``crf.py``).

Names are exported from :mod:`trainwell.text`, which loads them on first use.
"""
