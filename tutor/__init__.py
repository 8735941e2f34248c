"""tutor: learn networking by watching real requests cross the wire."""

__version__ = "0.1.0"
