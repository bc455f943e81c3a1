"""`python -m p06audit` is the same command as `p06audit`."""

from p06audit.cli import main

raise SystemExit(main())
