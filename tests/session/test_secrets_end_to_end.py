"""Known secrets set through configuration never reach the ledger, the logs or the output,
after a full request from text to fills (issue 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.session.conftest import signoff

# each test runs the executor (or the CLI) as a real process: seconds each
pytestmark = pytest.mark.slow

CONFIGURED = {
    "BINANCE_TESTNET_API_KEY": "bk-known-secret-5e1f0a9c",
    "BINANCE_TESTNET_API_SECRET": "bs-known-secret-77d2c4b1",
    "OKX_DEMO_PASSPHRASE": "okx-pass-known-3b9e",
    "OPENAI_API_KEY": "sk-known-secret-llm-0c6a",
}
# files that exist to hold a secret (0600, only ever read by the executor)
HOLDERS = {"alice.key", "run.json", "embedded-state.json", "credentials.json"}


def _run_secrets(home: Path) -> list[str]:
    found = []
    run_file = home / "executor" / "run.json"
    if run_file.exists():
        found += [
            v
            for k, v in json.loads(run_file.read_text()).items()
            if "secret" in k and isinstance(v, str)
        ]
    key_file = home / "keys" / "alice.key"  # the person's own signing key
    if key_file.exists():
        found += [ln for ln in key_file.read_text().splitlines() if not ln.startswith("-----")]
    return [s for s in found if len(s) >= 8]


def test_no_configured_or_generated_secret_is_written_anywhere(home: Path) -> None:
    outputs = []
    for args, stdin in (
        (["run", "buy 0.01 BTC"], ""),
        (["run", f"buy 10 SOL at 150, my key is {CONFIGURED['BINANCE_TESTNET_API_KEY']}"], "y\n"),
        (["run", f"sell 0.5 ETH with secret {CONFIGURED['BINANCE_TESTNET_API_SECRET']}"], ""),
        (["audit", "log", "--limit", "100"], ""),
        (["audit", "export", "--since", "2000-01-01", "--format", "jsonl"], ""),
    ):
        done = signoff(home, *args, stdin=stdin, env=CONFIGURED)
        assert "Traceback" not in done.stderr
        outputs.append(done.stdout + done.stderr)
    # the requests did run: the trail holds a filled order
    assert "filled" in outputs[0]

    secrets = [*CONFIGURED.values(), *_run_secrets(home)]
    assert len(secrets) >= len(CONFIGURED) + 2  # the run secret and alice's private key too
    for text in outputs:
        for secret in secrets:
            assert secret not in text
    scanned = 0
    for path in home.rglob("*"):
        if not path.is_file() or path.name in HOLDERS:
            continue
        data = path.read_bytes()
        scanned += 1
        for secret in secrets:
            assert secret.encode() not in data, f"{secret[:6]}… found in {path.name}"
    # the ledger (with its WAL), the executor's journal and log were all read
    assert scanned >= 5
