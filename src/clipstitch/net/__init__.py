"""Outbound traffic of the service: the address policy, signed callbacks."""
