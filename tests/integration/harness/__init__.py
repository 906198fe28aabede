"""Pieces of the integration-test harness; nexus_harness.py re-exports them."""
