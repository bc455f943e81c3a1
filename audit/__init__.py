"""p06audit: security and infrastructure audit for Project 06 provincial sites."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("p06audit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
