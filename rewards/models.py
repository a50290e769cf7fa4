"""Models of the rewards app."""
