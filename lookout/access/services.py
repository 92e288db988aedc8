"""Public entry points of the access app."""

from lookout.access.gate import AccessDenied, reveal

__all__ = ["AccessDenied", "reveal"]
