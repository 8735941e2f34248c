"""Capture files and trace files: explain a pcap, write one, the trace JSON
writer and the two-process explainer for large captures."""
