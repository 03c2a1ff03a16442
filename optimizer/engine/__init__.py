"""Routing engines: the OR-Tools model of record, PyVRP, and the portfolio that races them.

Every engine takes a :class:`optimizer.problem.RoutingProblem` and returns a
:class:`optimizer.problem.RoutingSolution`; :mod:`optimizer.checker` is the referee.
"""
