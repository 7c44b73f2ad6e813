"""Simulated devices for development, demos, tests and the benchmark.

``printer``: a loopback ESC/POS network printer that decodes what it gets;
``scanner``: a scanner fed by hand (its driver and interface); ``routes``:
the HTTP routes a proxy started with --simulate adds for them.
"""

from . import scanner  # registers the simulated scanner's interface and driver
