"""The dns lab."""
