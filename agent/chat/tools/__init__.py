"""The tools a model may call in chat: typed functions over the product's own code paths.

`registry` turns them into specs and runs calls (bad arguments come back as readable
errors); `session` is what they share within one conversation; `analysis` and `actions`
hold the tools themselves. Only `propose_action` has a side effect (a `proposed` row);
nothing here decides or dispatches.
"""
