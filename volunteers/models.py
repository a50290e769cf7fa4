"""Models of the volunteers app."""
