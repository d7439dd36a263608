"""Tier 4: build and run the generated services' images for real (pytest -m containers)."""
