"""Reports: the scan report for the terminal and as Markdown, and the weekly journey review.

`terminal`, `markdown`, `weekly` (the review's content and funding case) and
`weekly_files` (the review written as Markdown and standalone HTML).
"""
