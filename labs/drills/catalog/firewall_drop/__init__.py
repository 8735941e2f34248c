"""A firewall at the ISP silently drops connections to port 443: the laptop
sends SYN after SYN and never hears back (a timeout)."""
