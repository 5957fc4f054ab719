"""Channels that carry proposals and reports to people: Slack and email.

`proposal_card` reads what a council needs to decide (evidence, verdict, money, quorum
progress) from the store; `slack_messages` renders it and the digest as Block Kit;
`slack_channel` posts and updates messages through Slack's Web API; `slack_decide`
verifies a button click and hands the decision to the one gate caller
(`agent.actions.decisions.decide_then_resume`); `mail` sends digests and weekly reviews
by SMTP. Nothing here decides on its own.
"""
