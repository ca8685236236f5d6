"""Predictors: something that watches keys go by and, before each one, says how likely every key is next.

One small module per expert (each knows one kind of context) and the mixer that combines them online
(`mixer.MixturePredictor`). The network's module imports torch only when a `NeuralPredictor` is built.
"""

from keytui.predictors.base import Predictor, replay
from keytui.predictors.geometry import GeometryPredictor
from keytui.predictors.majority import MajorityPredictor
from keytui.predictors.match import MatchPredictor
from keytui.predictors.mixer import MixturePredictor
from keytui.predictors.neural import NeuralPredictor
from keytui.predictors.ngram import NGramPredictor

__all__ = [
    "GeometryPredictor",
    "MajorityPredictor",
    "MatchPredictor",
    "MixturePredictor",
    "NGramPredictor",
    "NeuralPredictor",
    "Predictor",
    "replay",
]
