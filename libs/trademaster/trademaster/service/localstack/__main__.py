"""`python -m trademaster.service.localstack`: run the local stack (what `./tm up` calls)."""

from trademaster.service.localstack.local import main

raise SystemExit(main())
