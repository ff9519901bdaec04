"""Unit tests: one module or one parser at a time, on small real inputs."""
