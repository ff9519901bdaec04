"""lintml: a license compliance linter for machine-learning repositories."""

__version__ = "0.1.0"
