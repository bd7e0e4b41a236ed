"""Tools for testers: ``stufenlos bench`` (many trips, all profiles, reports and plots) and the
one-search-per-source cost matrix behind ``POST /matrix``."""
