"""Capturing a lab's own traffic: live with scapy when privileged, otherwise
recorded at the socket and reconstructed (`core` chooses; see its docstring)."""
