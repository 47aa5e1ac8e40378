#!/usr/bin/env python3
"""Reduce Coinflow's OpenAPI reference to the part this sandbox emulates (or will).

Usage (from the repository root, with the full spec at hand):

    python3 specs/reduce_coinflow.py [FULL_SPEC] [OUTPUT]

FULL_SPEC defaults to ../shared/specs/coinflow-openapi.json, OUTPUT to
specs/coinflow-openapi.json next to this script. Standard library only.

It keeps `openapi`, `info`, `servers`, `components.securitySchemes`, the operations listed in
PATHS (paths are relative to the spec's server, i.e. below /api), the component schemas listed
in EXTRA_SCHEMAS, and every component schema reachable from those by following `$ref`
recursively. It fails if an operation is missing or a `$ref` does not resolve.
"""

import json
import os
import sys

# path -> methods to keep (None keeps every method of the path).
PATHS = {
    # Withdrawer (end user) routes.
    "/withdraw": ["get"],  # Get Withdrawer (200, 451)
    "/withdraw/kyc": ["post"],  # Register User
    "/withdraw/kyc/share-token": ["post"],  # Register User Via Share Token
    "/withdraw/kyc/attested": ["post"],  # Register User Via Attested KYC
    "/withdraw/kyc-doc": ["post"],  # Register User Via Document (the 451 alternative)
    "/withdraw/kyc/validate": ["post"],  # Validate KYC Information
    "/withdraw/account": ["post"],  # Create Bank Account
    "/withdraw/account/v2": ["post"],  # Create Bank Account (v2)
    "/withdraw/debit-card": ["post"],  # Create Debit Card
    "/withdraw/account/{token}": ["delete"],  # Delete Withdrawer Bank Account
    "/withdraw/card/{token}": ["delete"],  # Delete Withdrawer Card
    "/withdraw/quote": ["get"],  # Get Quote
    "/withdraw/history": ["get"],  # Get Withdrawer History
    "/withdraw/balances": ["get"],  # Get Balances
    "/withdraw/transaction": ["post"],  # Create Transactions (user-wallet payout)
    # Merchant routes.
    "/merchant/withdraws/payout/delegated/quote": ["post"],  # Get Delegated Payout Quote
    "/merchant/withdraws/payout/delegated": ["post"],  # Payout via Coinflow Wallet
    "/merchant/withdraws/payout": ["post"],  # Payout via Merchant Self-Custodial Wallet
    "/merchant/withdraws/payout/balance": ["get"],  # Get Coinflow Wallet Balance
    "/merchant/withdraws/{withdrawalId}": ["get"],  # Get Withdrawal
    "/merchant/withdraws": ["get"],  # Get Withdraws
    "/merchant/withdrawers": ["get"],  # Gets merchant withdrawers
    "/merchant/webhooks": ["get"],  # Get Payment Webhook Activity (the webhook logs)
    "/merchant/webhooks/{webhookLogId}": ["post"],  # Resend Payment Webhook
    # Authentication.
    "/auth/session-key": ["get"],  # Get Session Key
}

# Schemas no kept path references but the sandbox needs: the webhook bodies it sends.
EXTRA_SCHEMAS = [
    "WebhookPacket",  # {eventType, category, created, data}
    "WebhookEventType",
    "WebhookCategory",
    "WebhookVersion",
    "KycWebhookData",
    "WithdrawWebhookData",
]

SCHEMA_PREFIX = "#/components/schemas/"

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = os.path.join(HERE, "..", "..", "shared", "specs", "coinflow-openapi.json")
DEFAULT_OUTPUT = os.path.join(HERE, "coinflow-openapi.json")


def refs(node):
    """Yields every `$ref` string inside `node`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def schema_name(ref):
    if not ref.startswith(SCHEMA_PREFIX):
        sys.exit(f"unsupported $ref (only {SCHEMA_PREFIX}* is handled): {ref}")
    # JSON-pointer unescape of a single token.
    return ref[len(SCHEMA_PREFIX):].replace("~1", "/").replace("~0", "~")


def reduce(spec):
    paths = {}
    for path, methods in PATHS.items():
        item = spec["paths"].get(path)
        if item is None:
            sys.exit(f"path not in the spec: {path}")
        kept = {}
        for method, op in item.items():
            if methods is None or method in methods:
                kept[method] = op
        missing = set(methods or []) - set(kept)
        if missing:
            sys.exit(f"{path}: methods not in the spec: {sorted(missing)}")
        paths[path] = kept

    all_schemas = spec["components"]["schemas"]
    wanted = set()
    todo = [schema_name(r) for r in refs(paths)] + list(EXTRA_SCHEMAS)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        if name not in all_schemas:
            sys.exit(f"dangling $ref: {SCHEMA_PREFIX}{name}")
        wanted.add(name)
        todo.extend(schema_name(r) for r in refs(all_schemas[name]))

    out = {}
    for key in ("openapi", "info", "jsonSchemaDialect", "servers"):
        if key in spec:
            out[key] = spec[key]
    out["paths"] = paths
    components = {}
    # Keep the source's schema order.
    components["schemas"] = {k: v for k, v in all_schemas.items() if k in wanted}
    if "securitySchemes" in spec["components"]:
        components["securitySchemes"] = spec["components"]["securitySchemes"]
    out["components"] = components
    return out


def check(doc):
    """Every `$ref` in the reduced document resolves inside it."""
    schemas = doc["components"]["schemas"]
    dangling = sorted({r for r in refs(doc) if schema_name(r) not in schemas})
    if dangling:
        sys.exit("dangling $ref in the output: " + ", ".join(dangling))


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    output = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUTPUT
    with open(source, encoding="utf-8") as f:
        spec = json.load(f)
    doc = reduce(spec)
    check(doc)
    with open(output, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(
        f"{output}: {len(doc['paths'])} paths, {len(doc['components']['schemas'])} of "
        f"{len(spec['components']['schemas'])} schemas"
    )


if __name__ == "__main__":
    main()
