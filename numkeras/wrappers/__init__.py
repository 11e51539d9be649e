"""`numkeras.wrappers`: scikit-learn estimators around numkeras models, as Keras's."""

from numkeras.wrappers.sklearn_wrapper import (
    SKLearnClassifier,
    SKLearnRegressor,
    SKLearnTransformer,
)

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
