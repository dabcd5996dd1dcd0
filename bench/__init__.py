"""Benchmarks run by hand (never in CI): `python -m bench {clinc150,baselines,speed,e2e}`."""
