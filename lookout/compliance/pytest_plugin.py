"""Placeholder: replaced by the compliance slice."""
