"""The tools a model may call in chat: plain typed functions over the product's own code paths.

One module per family (`metrics`, `segments`, `breakdowns`, `evidence`, `actions`), each tool a
function whose argument model, JSON schema and description `tool` reads from its
signature and docstring, returning a pydantic result model. `registry` gathers them
(`REGISTRY`): it describes them (input and output schemas, side-effect flag), runs calls
(`execute`; bad arguments and `ToolError`s come back as readable errors) and re-types
stored results. `session` is what they share within one conversation. Only
`propose_action` has a side effect (a `proposed` row); nothing here decides or dispatches.
"""
