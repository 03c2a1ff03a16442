"""The shells: the Flask web UI and booking API, and the ``lastmile`` command line."""
