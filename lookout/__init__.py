"""Lookout: a store for smart home security cameras that keeps its privacy policy in code."""
