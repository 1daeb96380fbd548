"""Scale-out: compositions as Temporal workflows, clips as activities on any worker.

Media never travels through Temporal: activities exchange object keys, and the
segments and outputs live in object storage. Job records stay in the SQL job store
(PostgreSQL when API and workers run on different machines).
"""
