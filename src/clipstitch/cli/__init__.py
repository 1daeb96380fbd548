"""The command line: compose, probe, schema (and the service commands)."""
