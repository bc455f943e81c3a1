"""A certificate worker process: `python -m checks.signing.worker` (started by scan.py).

Its own module so that what it sends back pickles as `checks.signing.scan` classes, not `__main__`.
"""

from checks.signing.scan import serve_stdio

if __name__ == "__main__":
    serve_stdio()
