"""The http2 lab: the same API call over HTTP/1.1 and HTTP/2, frame by frame."""
