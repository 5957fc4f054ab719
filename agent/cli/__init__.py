"""The `journeyops` command line: `app.main` is the console script.

One module per command group (`data`, `actions`, `audit`, `chat`, `dispatch`, `web`,
`eval`); `env` builds the settings, workspace and run context on first use. Imports inside
command functions keep start-up fast, so `journeyops --help` does not load the stack.
"""
