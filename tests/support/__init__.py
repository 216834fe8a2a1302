"""Test-only helpers: servers on 127.0.0.1 that speak AWS wire formats."""
