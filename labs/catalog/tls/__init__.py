"""The tls lab."""
