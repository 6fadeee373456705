"""Carrying out approved steps: only on testnets, sandboxes, the local exchange or paper.

    base.py          the one Executor protocol and the values that cross it
    service.py       the gate in front of every executor: pinned policy, its own decision,
                     signatures, drift, journal, one order per step, waiting approvals,
                     schedules decided again as they fire, reconciliation into the ledger
    approvals.py     signed requests and approvals (Ed25519, bound to the step; nonces on disk)
    journal.py       the executor's own record: orders, values, refusals, waiting steps
    ids.py           client order ids from plan and step ids
    venues.py        configs/exchanges.toml, API keys, the sandbox guard
    ccxt_exec.py     Executor through ccxt (binance, bybit, okx testnets; local exchange)
    paper/           the paper engine, its price feeds, and its Executor
    localnet/        a Binance-compatible exchange on 127.0.0.1 backed by the paper engine
    process/         the executor process (signoff executor) and its client
    testing.py       helpers for signoff's own tests

Errors come from :mod:`foundation.errors`: a refused step is an
``ApprovalRefused`` (an ``ApprovalError``) with a code; a venue's refusal is an
``ExchangeError`` subclass; an endpoint that is not a sandbox is a
``SandboxViolation``. There is no withdrawal, transfer or deposit code here.
"""
