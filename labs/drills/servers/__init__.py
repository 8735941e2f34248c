"""The drills' fault servers: plain servers, each with one realistic fault,
that bind to a given (host, port) — a rate-limited API (`ratelimit`), a load
balancer with a backend down (`loadbalancer`) and a middlebox that forgets
idle connections (`idle_middlebox`). README.md says how a drill wires them.
"""
