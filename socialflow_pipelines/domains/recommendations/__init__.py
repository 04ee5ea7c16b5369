"""Recommendations: the interaction matrix, the LightFM model, the hourly lists, one user's list."""
