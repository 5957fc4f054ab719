"""The chat tools served over the Model Context Protocol, for other assistants.

`server` builds an MCP server from the one tool registry (`agent.chat.tools.registry`):
the same names, schemas, descriptions and side-effect flags the chat model sees, run
as the authenticated journeyops user. `auth` resolves that user from a sign-in token
(`JOURNEYOPS_TOKEN` on stdio, a bearer token over streamable HTTP). `serve` runs it on
either transport. No tool decides or dispatches; `propose_action` files a `proposed` row.
"""
