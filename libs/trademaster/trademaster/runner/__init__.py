"""The runner layer: code that runs one job (training on Ray, a backtest in a worker process,
next: a trading deployment) and reports what happens.

It sits between the core library (which knows nothing about services: the trainer only offers
:class:`~trademaster.training.callbacks.Callback`) and the services (which own state). Runners
may use the service kit; services import runners, the core never does. A runner never writes a
service's tables and never publishes public events: it reports on a private stream
(:mod:`trademaster.runner.reports`), the owning service applies each report in one transaction
and only then publishes the public event.

It lives in the ``trademaster`` distribution (not under ``services/``) because Ray worker nodes
install only that distribution, and because trainer, backtest and deployments share it.
"""
