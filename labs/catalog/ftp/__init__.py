"""The ftp lab."""
