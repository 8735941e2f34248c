"""Network namespaces for the routing labs: topologies, the agent that runs
inside each namespace, routes, and the simulator used where namespaces cannot
be built."""
