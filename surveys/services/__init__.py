"""Writes: one function per use case, atomic, raising domain errors (``<entity>_<verb>``)."""
