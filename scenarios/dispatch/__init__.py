"""The dispatcher's day: its orders (bookings and imported files), plans, edits, re-optimizing,
publication of ETAs to the shops, and the solves behind them.

The CLI (``lastmile plan``) and the web pages call the same code here; ``webui`` only parses,
calls and renders.
"""
