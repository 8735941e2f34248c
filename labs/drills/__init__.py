"""Incident drills: broken networks to diagnose from the packets (see README.md)."""
