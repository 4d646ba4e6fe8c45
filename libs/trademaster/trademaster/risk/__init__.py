"""Pre-trade risk rules shared by the risk service, backtests and RL envs (pure, torch-free).

``RiskEngine.check`` runs every rule in a fixed order against an ``AccountBook`` (positions,
working orders and exposures kept as running aggregates, so one check is O(1) in the number of
instruments and working orders) and returns a ``Verdict`` with standard reason codes and the
value and limit that decided each rule. ``Breakers`` move trading states toward safety.
"""
