"""What every domain's problem generator shares, written once.

* ``options``: multiple-choice options whose form says nothing about the key (a ladder of four values with
  additive or multiplicative gaps, one precision for all four, physical bounds, a minimum step that solver
  refinement cannot cross), the nearest letter to a value, and name options placed at a letter;
* ``splits``: split seeds, balanced key letters, and the exclusion of test questions from other splits;
* ``public_numeric``: public numeric datasets (MATH, SciBench) read from the hub or a local copy, pinned test
  splits, and their one-snippet reference calls.

A domain's generator keeps only its drafting (the scene, the question, the tool calls) and calls these.
"""
