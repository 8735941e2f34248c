"""A middlebox forgets connections idle longer than its timeout and resets
them when they are reused (labs/drills/servers/idle_middlebox.py)."""
