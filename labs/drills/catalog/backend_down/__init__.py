"""Every other call fails with 503: the load balancer sends half the traffic
to a backend that is down (labs/drills/servers/loadbalancer.py)."""
