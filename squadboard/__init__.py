"""Squadboard: team versus individual sales quota attainment."""
