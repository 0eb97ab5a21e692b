"""pytest setup shared by tests/ and the doctests in srcgrad/: srcgrad's disk
cache of generated code is off unless a test turns it on (tests/test_embed.py
does, in a temporary directory), so the suite never reads or fills the
developer's cache."""

import os

os.environ.setdefault("SRCGRAD_CACHE", "0")
