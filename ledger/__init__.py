"""The ledger: every stage of signoff recorded with sqlmodel, under a hash-chained audit trail.

- ``ledger.tables``: the tables (schema version 2);
- ``ledger.store``: where the database is (SQLite or PostgreSQL) and its settings;
- ``ledger.service``: :class:`Ledger`, one write-ahead method per stage;
- ``ledger.chain``: record hashes, ``verify`` and checkpoints;
- ``ledger.signing``: the executor's Ed25519 key signing the chain's head as it appends;
- ``ledger.queries``: a plan's story, unfinished orders, exports, recent records;
- ``ledger.render``: rich views of the above for the command line.

Importing this package imports nothing heavy; import the submodules you need.
"""
