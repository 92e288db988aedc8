"""The sandbox card processor: a stand-in for the outside payment service, never deployed.

What it is. A small card processor with a hosted payment page, written for Lookout's development
and tests: the store creates a payment session over its HTTP API, sends the customer's browser
to its page, and is sent back a signed reference; webhooks tell the store that a session
changed. It moves no money and takes only test cards (`cards.py`: 4242… is authorized,
4000…0002 declined, 4000…0119 hangs). It plays the third party the store must never be: the
card number and CVC reach only this package and are dropped after deciding the outcome (C2.3).

Why a package of its own, beside `lookout/` and not inside it. It stands in for a service run
by someone else, so nothing of the store's is shared with it: its own WSGI application
(`app.SandboxProcessor`), its own SQLite file (`storage.py`), no Django models, no `lookout`
import (an import contract, `.importlinter`, says so). The store speaks to it only as it would
speak to a real processor: its HTTP API through `lookout/payments/gateway.py`, its signatures
checked by `lookout/payments/sandbox_client.py` (the store's half of `signing.py`). The store
imports this package only where a sandbox is wanted, each place declared in `.importlinter`:
the development mount (`lookout/wsgi.py`), the in-process transport for tests and tools
(`lookout/payments/gateway.py`), the demo that pays its orders (`lookout/orders/demo.py`) and
the test helpers.

Never deployed in production. `lookout/wsgi.py` mounts it under `/sandbox-processor/` only
outside production (LOOKOUT_PAYMENT_SANDBOX_ENABLED=1 on a staging copy is the one override);
a shop taking money uses a real processor (LOOKOUT_PAYMENT_GATEWAY=stripe).

Modules: `app.py` the WSGI application and its webhook outbox; `cards.py` what it reads from
the card form; `storage.py` its SQLite sessions; `signing.py` what it signs with the secret it
shares with the store; `config.py` the processor as this installation's Django settings
configure it; `mount.py` serving it beside the store; `shopper.py` the customer's side of its
page, played in process by the demo and the tests.
"""
