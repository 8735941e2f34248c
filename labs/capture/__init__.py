"""Capturing a lab's own traffic: live with scapy when privileged, otherwise
recorded at the socket and reconstructed (`core` chooses; see its docstring)."""

import logging

# scapy's runtime warnings ("No route found for ... (no default route?)", an
# unknown link type) are about its internals and arrive as raw lines on
# stderr; a lab says what went wrong in its own words. Errors still show.
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
