"""``GET /v1/health``: can this process reach its database and broker?

Unauthenticated and cheap, for load balancers and monitors: 200 with every
component ``ok``, or 503 with Delfin's error body naming the components
that are not (``error_args``), a ``Retry-After`` header, and the state of
each component.  An addition to Delfin's API.
"""
from delfin import exception
from delfin import health
from delfin.api.common import wsgi


class HealthController(wsgi.Controller):

    def show(self, req):
        result = health.status()
        down = health.failing(result)
        if not down:
            return {'status': health.OK, 'components': result}
        error = exception.ServiceUnavailable(', '.join(down))
        body = wsgi.error_body(error)
        body['error_args'] = down
        body.update(status=health.UNAVAILABLE, components=result)
        return wsgi.json_response(503, body, headers={
            'Retry-After': str(error.retry_after)})


ROUTES = [
    wsgi.Route('GET', '/v1/health', HealthController, 'show',
               name='health'),
]
