"""toolwise: does a language model know *when* to use a scientific tool?

The repository root is the ``toolwise`` package; its folders are subpackages
(``toolwise.tools``, ``toolwise.tasks``, ``toolwise.bench``, ...).
"""

__version__ = "0.1.0"
