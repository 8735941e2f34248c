"""The http-api lab."""
