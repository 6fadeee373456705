"""The executor process: the only process holding exchange keys; the gate.

``signoff executor`` runs :func:`executors.process.server.serve`; the rest of
signoff talks to it through :class:`executors.process.client.ExecutorClient`
(HTTP over a unix socket in ``$SIGNOFF_HOME``, plus a per-run bearer secret).
"""
