"""A narrow link (MTU 1400) behind the office gateway, and the gateway drops
the ICMP 'fragmentation needed' it should send: small requests work, big
uploads hang (an MTU black hole)."""
