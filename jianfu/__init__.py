"""Jianfu (减负): the community burden-reduction system."""

__version__ = "0.1.0"
