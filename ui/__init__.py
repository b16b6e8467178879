"""The dashboard's helpers: settings and share links, shared widgets, charts, the live runner.

Pages import from here and from ``sgdcore``; nothing here is a page.
"""
