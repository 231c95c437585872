"""Rubric engine, metrics and judges."""
