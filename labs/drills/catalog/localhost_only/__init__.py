"""After a deploy the API listens on 127.0.0.1 only: its own TCP refuses
connections to its public address."""
