"""The websocket lab: the HTTP Upgrade, then frames both ways, masking, and a proxy's idle timeout."""
