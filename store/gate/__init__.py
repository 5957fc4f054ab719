"""The approval gate: the one place decisions are checked and recorded.

`rules` decides (council membership, quorum, separation of duties, expiry, approvals bound
to the payload hash) and re-checks an approval before sending; `actions` files and revises
proposals and escalates them; `outbox` leases approved deliveries to dispatchers; `redrive`
re-queues a dead letter; `outcomes` records whether a delivered fix won the metric back.
"""
