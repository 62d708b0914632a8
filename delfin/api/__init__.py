"""The REST API: Delfin's v1 API served by a WSGI application.

`delfin.api.app.make_app` builds the application; `delfin.api.wsgi` exposes
it to external WSGI servers.  Generic behaviour (dispatch, errors, list
parameters, views) lives in `delfin.api.common`; the route table and the
controllers of API version 1 live in `delfin.api.v1`.
"""
