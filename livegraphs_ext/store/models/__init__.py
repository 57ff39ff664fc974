"""Models on a dataset: a regression or a classification fitted from a spec, honestly evaluated.

:mod:`.spec` checks a spec against the columns; :mod:`.recipe` holds the scikit-learn recipe the
store and the exported code share; :mod:`.fit` fits it and writes the report; :mod:`.code` writes
the exported script; :mod:`.runner` runs a fit in a process of its own, under the limits.
"""

from .spec import ModelLimits, check_spec

__all__ = ["ModelLimits", "check_spec"]
