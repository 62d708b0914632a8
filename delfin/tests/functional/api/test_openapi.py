"""The API's description, ``/v1/openapi.json``, proven by schemathesis.

Schemathesis generates requests for every operation of the document
(valid and invalid ones) and sends them to the real application with a
task node, on a database holding a registered storage with its inventory,
jobs, alerts and alert source.  Every request is sent as generated and,
for the operations with path parameters, once more with the ids of rows
that exist, so that the success answers are checked as well as the
errors.  No answer may be a 5xx, and every answer must conform to the
document: a documented status, content type and body schema.
"""
import collections
import json
import os
import re

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks

from delfin.tests.conftest import REPO_ROOT
from delfin.tests.fixtures.db import unavailable

# Per operation (about 50 of ours, 38 of Delfin's), each sent once or
# twice; raise it with DELFIN_OPENAPI_EXAMPLES for a deeper run.
EXAMPLES = int(os.environ.get('DELFIN_OPENAPI_EXAMPLES') or 12)
# Delfin's description repeats our operations with other schemas: fewer.
DELFIN_EXAMPLES = max(EXAMPLES // 2, 1)
# Delfin's own description of its API, beside the repository.
DELFIN_SWAGGER = os.path.join(REPO_ROOT, os.pardir, 'shared', 'reference',
                              'delfin-swagger.yaml')
CHECKS = [not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance,
          checks.response_schema_conformance]
SMALL = {'fake_pool_range': '2-2', 'fake_volume_range': '3-3',
         'fake_controller_range': '1-1', 'fake_port_range': '2-2',
         'fake_disk_range': '1-1', 'fake_filesystem_range': '1-1',
         'fake_qtree_range': '1-1', 'fake_quota_range': '1-1',
         'fake_share_range': '1-1', 'fake_host_range': '1-1',
         'fake_initiator_range': '1-1', 'fake_host_group_range': '1-1',
         'fake_port_group_range': '1-1', 'fake_volume_group_range': '1-1',
         'fake_masking_view_range': '1-1', 'fake_alert_range': '3-3'}


@pytest.fixture(scope='module')
def known(api_service):
    """Ids of rows that exist, by path parameter name and collection."""
    from oslo_config import cfg
    for name, value in SMALL.items():
        cfg.CONF.set_override(name, value, group='fake_driver')
    resp = api_service.post('/v1/storages', {
        'vendor': 'fake_storage', 'model': 'fake_driver',
        'rest': {'host': '192.0.2.200', 'port': 8443, 'username': 'admin',
                 'password': 'openapi-secret'}})
    assert resp.status_int == 201, resp.text
    storage_id = resp.json['id']
    api_service.wait_idle(storage_id)
    resp = api_service.put('/v1/storages/%s/snmp-config' % storage_id, {
        'version': 'snmpv2c', 'community_string': 'openapi',
        'host': '127.0.0.1'})
    assert resp.status_int == 200, resp.text
    api_service.wait_task_idle()
    ids = {'storage_id': storage_id, 'id': storage_id}
    job = api_service.get('/v1/storages/%s/jobs' % storage_id).json
    ids['job_id'] = job['jobs'][0]['id']
    alerts = api_service.get('/v1/alerts').json['alerts']
    ids['sequence_number'] = alerts[0]['sequence_number']
    yield ids
    for name in SMALL:
        cfg.CONF.clear_override(name, group='fake_driver')


@pytest.fixture(scope='module')
def openapi_schema(api_service, known):
    return schemathesis.openapi.from_wsgi('/v1/openapi.json',
                                          api_service.app)


def _operations():
    """(method, path) of every operation of the document."""
    from delfin.api.v1 import router
    return [(r.method, r.path) for r in router.ROUTES]


def _with_known_ids(case, known):
    """The case with its path parameters naming existing rows (None when
    it has none, or would delete the storage the others need)."""
    params = case.path_parameters or {}
    if not params or (case.method.upper() == 'DELETE'
                      and _template(case.path) == '/v1/storages/{}'):
        return None
    ids = dict(known)
    if case.path.count('/') == 3 and not case.path.startswith(
            '/v1/storages/'):
        # /v1/<kind>/{id}: an item of that kind.
        ids['id'] = known.get(case.path.split('/')[2])
    if not all(ids.get(name) for name in params):
        return None
    return case.operation.Case(
        path_parameters={name: ids[name] for name in params},
        query=case.query, body=case.body, headers=case.headers,
        media_type=case.media_type)


# Answers by status class, per document: what the run sent (printed at
# the end of the module with -s).
SENT = collections.defaultdict(collections.Counter)
# Generated cases per operation, per document.
CASES = collections.defaultdict(collections.Counter)


def _run(operation, ids, checks, label, examples=EXAMPLES):
    """Send ``examples`` generated requests (valid and invalid) of
    ``operation``, and each again with known ids; check every answer."""
    strategy = hypothesis.strategies.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE))

    @hypothesis.given(strategy)
    @hypothesis.settings(max_examples=examples, deadline=None,
                         database=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    def check(case):
        CASES[label][operation.label] += 1
        variants = [case]
        known_case = _with_known_ids(case, ids)
        if known_case is not None:
            variants.append(known_case)
        for variant in variants:
            response = variant.call()
            SENT[label]['%dxx' % (response.status_code // 100)] += 1
            variant.validate_response(response, checks=checks)

    check()


@pytest.mark.parametrize('method, path', _operations())
def test_every_answer_conforms_and_none_is_a_5xx(
        openapi_schema, known, item_ids, method, path):
    _run(openapi_schema[path][method], dict(known, **item_ids), CHECKS,
         'ours')


def _template(path):
    return re.sub(r'{[^}]+}', '{}', path)


def _delfin_operations():
    """(method, path) of the operations of Delfin's description that this
    service serves (same method, same path up to parameter names)."""
    if not os.path.exists(DELFIN_SWAGGER):
        return []
    import yaml
    with open(DELFIN_SWAGGER) as f:
        described = yaml.safe_load(f)['paths']
    served = {(m, _template(p)) for m, p in _operations()}
    return [(method.upper(), path) for path, item in described.items()
            for method in item
            if (method.upper(), _template(path)) in served]


@pytest.fixture(scope='module')
def delfin_schema(api_service, known):
    if not os.path.exists(DELFIN_SWAGGER):
        unavailable('Delfin\'s API description is not at %s'
                    % DELFIN_SWAGGER)
    loaded = schemathesis.openapi.from_path(DELFIN_SWAGGER)
    loaded.app = api_service.app
    return loaded


@pytest.mark.parametrize('method, path', _delfin_operations() or [
    ('GET', 'no description')])
def test_delfin_description_finds_no_5xx(delfin_schema, known, item_ids,
                                         method, path):
    _run(delfin_schema[path][method], dict(known, **item_ids),
         [not_a_server_error], 'delfin', DELFIN_EXAMPLES)


@pytest.fixture(scope='module', autouse=True)
def report():
    """Print what the runs sent, by status class (shown with -s)."""
    yield
    for label, counts in sorted(SENT.items()):
        print('\nschemathesis on the %s description: %d operations, %d '
              'cases, %d requests, %s'
              % (label, len(CASES[label]), sum(CASES[label].values()),
                 sum(counts.values()), dict(sorted(counts.items()))))


@pytest.fixture(scope='module')
def item_ids(api_service, known):
    """An existing item of every global inventory collection."""
    from delfin.resources import registry
    ids = {}
    for kind in registry.routed_kinds(registry.GLOBAL):
        body = api_service.get('/v1/%s?limit=1' % kind.path).json
        if body[kind.plural]:
            ids[kind.path] = body[kind.plural][0]['id']
    return ids


def test_the_document_is_served_and_complete(api_service):
    from delfin.api.v1 import router
    resp = api_service.get('/v1/openapi.json')
    assert resp.status_int == 200
    doc = json.loads(resp.text)
    assert doc['openapi'].startswith('3.1')
    served = {(r.method.lower(), r.path) for r in router.ROUTES}
    documented = {(m, p) for p, item in doc['paths'].items() for m in item}
    assert documented == served
    for item in doc['paths'].values():
        for op in item.values():
            assert {'400', '404', 'default'} <= set(op['responses'])
            assert op['responses']['400']['content']['application/json'][
                'schema'] == {'$ref': '#/components/schemas/Error'}
    volumes = doc['paths']['/v1/volumes']['get']
    names = {p['name'] for p in volumes['parameters']}
    assert {'limit', 'offset', 'marker', 'sort', 'name', 'status',
            'storage_id'} <= names
    # The request schema is the one the route validates against.
    from delfin.api.schemas import storages as storage_schemas
    assert doc['paths']['/v1/storages']['post']['requestBody'][
        'content']['application/json']['schema'] == storage_schemas.create
