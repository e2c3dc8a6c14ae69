"""Great Expectations suites, one per event family; failing rows go to quarantine with the reason."""
