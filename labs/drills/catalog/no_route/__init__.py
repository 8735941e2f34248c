"""Nothing leaves the office: the laptop's default gateway is an address
nobody has (ARP unanswered), or the office gateway lost its default route
(ICMP network unreachable). Which one is seeded."""
