"""A certificate worker process: `python -m p06audit.checks.signing.worker` (started by scan.py).

Its own module so that what it sends back pickles as `p06audit.checks.signing.scan` classes, not
`__main__`.
"""

from p06audit.bulk import tune_collector
from p06audit.checks.signing.scan import serve_stdio

if __name__ == "__main__":
    tune_collector()
    serve_stdio()
