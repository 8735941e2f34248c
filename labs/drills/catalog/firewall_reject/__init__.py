"""A firewall at the ISP rejects connections to port 443 with a TCP reset of
its own: refused at once, although the server is fine."""
