"""The slow-network lab: the same HTTPS API call through a router made slow, lossy, rate-limited or narrow."""
