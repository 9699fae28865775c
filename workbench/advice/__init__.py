"""Advice from measured results: which strategy fits a person's needs, and which claims hold.

Both read a results table (``workbench.results.store.load_results``) and nothing
else: they never run an experiment and never touch a disk. ``recommend`` scores
strategies and combinations of two against a person's needs; ``judge_claims``
tests the claims in ``datasets/claims.yaml`` against the same columns.
"""

from .claims import Claim, check_claims, judge_claims, load_claims
from .recommend import Needs, Option, Recommendation, recommend

__all__ = ["Claim", "Needs", "Option", "Recommendation", "check_claims", "judge_claims", "load_claims",
           "recommend"]
