"""The gateway-nat lab."""
