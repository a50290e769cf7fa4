"""Models of the hazards app."""
