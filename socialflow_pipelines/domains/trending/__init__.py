"""Trending: hourly engagement counts and the ranked lists per content type and window."""
