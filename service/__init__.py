"""The service layer: settings, connections, the embedded server, and the runs the CLI drives."""
