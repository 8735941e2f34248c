"""The traceroute lab."""
