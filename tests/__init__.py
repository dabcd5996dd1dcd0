"""Signpost tests (a package, so no installed "tests" module can shadow them)."""
