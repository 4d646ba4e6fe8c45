"""Helpers shared by all test folders (imported as `support.<module>`)."""
