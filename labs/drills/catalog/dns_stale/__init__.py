"""The API moved to a new address, but the office resolver still hands out
the old one from its cache (a long TTL): connections go to a dead address."""
