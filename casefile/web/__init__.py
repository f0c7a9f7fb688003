"""`casefile web`: the registrar's pages and the public e-diarium.

A layer over the same functions the command line calls (casefile.register, casefile.queries,
casefile.search, the exports); nothing in casefile or intake imports it.
"""
