"""The hello-udp lab: the smallest lab, one folder (tests/test_new_lab.py)."""
