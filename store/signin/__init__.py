"""Server-side sessions of the council app and the limits on failed sign-ins.

`sessions` opens a session row per sign-in (the cookie carries its random id, SQL only the
id's sha256), answers whose a session is at each request, ends it on sign-out, token
revocation or a disabled user, counts failed sign-ins per client address and per user,
and purges expired sessions, old failures and expired decision confirmations in bounded
batches.
"""
