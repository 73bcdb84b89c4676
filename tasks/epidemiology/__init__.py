"""Epidemiology tasks: California county epidemic questions (multiple-choice and open-ended)."""
