"""Generic behaviour of the API: dispatch and error bodies (`wsgi`), the
router over a route table (`routing`), list parameters (`params`) and views
(`views`).  Controllers stay thin by leaning on these.
"""
