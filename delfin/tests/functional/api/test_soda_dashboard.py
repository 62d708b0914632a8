"""The SODA dashboard's calls replayed against the service.

The calls (``data/soda_dashboard_calls.json``) are those the dashboard
makes, in the order a person clicking through it causes them: the storages
page, registration, the inventory tabs, masking view details, modifying
access information, the alert source dialog (under its old route name),
alerts, syncs and removal.  Each answer is checked for the status the
dashboard expects and for the fields it reads, with the types it uses them
as (a field it calls a string method on is never null).  Every failing
call is reported, not only the first.
"""
import json
import os
import re
import time
import urllib.parse

import pytest
from oslo_config import cfg

CONF = cfg.CONF
CALLS = os.path.join(os.path.dirname(__file__), 'data',
                     'soda_dashboard_calls.json')
SECRETS = ('dashboard-pa55', 'dashboard-n3w', 'dashboard-public',
           'dashboard-auth', 'dashboard-priv')
SMALL = {'fake_pool_range': '2-2', 'fake_volume_range': '5-5',
         'fake_controller_range': '2-2', 'fake_port_range': '2-2',
         'fake_disk_range': '2-2', 'fake_filesystem_range': '2-2',
         'fake_qtree_range': '2-2', 'fake_quota_range': '2-2',
         'fake_share_range': '2-2', 'fake_host_range': '2-2',
         'fake_initiator_range': '1-1', 'fake_host_group_range': '2-2',
         'fake_port_group_range': '2-2', 'fake_volume_group_range': '2-2',
         'fake_masking_view_range': '2-2'}
ISO_8601 = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?')
WAIT = 30


@pytest.fixture(scope='module')
def dashboard(api_service):
    for name, value in SMALL.items():
        CONF.set_override(name, value, group='fake_driver')
    yield api_service
    for name in SMALL:
        CONF.clear_override(name, group='fake_driver')


def _type_error(kind, value):
    """Why ``value`` cannot be used as ``kind`` (None when it can)."""
    if kind == 'any':
        return None
    if kind == 'string':
        ok = isinstance(value, str)
    elif kind == 'number':
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind == 'list':
        ok = isinstance(value, list)
    elif kind == 'date':
        ok = value is None or (isinstance(value, str)
                               and ISO_8601.match(value) is not None)
    else:
        raise ValueError(kind)
    return None if ok else 'is %r, not a %s' % (value, kind)


def _check_fields(fields, obj, where):
    problems = []
    if not isinstance(obj, dict):
        return ['%s is %r, not an object' % (where, obj)]
    for name, kind in fields.items():
        if name not in obj:
            problems.append('%s has no %s' % (where, name))
            continue
        error = _type_error(kind, obj[name])
        if error:
            problems.append('%s.%s %s' % (where, name, error))
    return problems


def _lookup(body, path):
    value = body
    for part in path.split('.'):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def _object_object_query(storage_id):
    """The query the quota tab sends: one parameter per character of
    '[object Object]?storage_id=<id>', named by its position."""
    text = '[object Object]?storage_id=%s' % storage_id
    return '&'.join('%d=%s' % (i, urllib.parse.quote(c, safe=''))
                    for i, c in enumerate(text))


class Replay(object):
    def __init__(self, client, spec):
        self.client = client
        self.fields = spec['fields']
        self.steps = spec['steps']
        self.saved = {}
        self.failures = []
        self.calls = 0

    def _format(self, text):
        if 'storage_id' in self.saved:
            self.saved['object_object_query'] = _object_object_query(
                self.saved['storage_id'])
        return text.format(**self.saved)

    def _call(self, step):
        self.calls += 1
        return self.client.request(step['method'],
                                   self._format(step['path']),
                                   step.get('body'))

    def _answer(self, step):
        """The response, after polling as the page does for ``until``
        (field values) or ``until_nonempty`` (a non-empty collection)."""
        deadline = time.monotonic() + WAIT
        while True:
            resp = self._call(step)
            polls = 'until' in step or step.get('until_nonempty')
            if not polls or resp.status_int not in step['status'] or \
                    time.monotonic() > deadline:
                return resp
            body = resp.json
            if 'until' in step and any(body.get(k) != v for k, v in
                                       step['until'].items()):
                time.sleep(0.05)
                continue
            if step.get('until_nonempty') and \
                    not body.get(step['collection']):
                time.sleep(0.05)
                continue
            return resp

    def step(self, step):
        where = '%s: %s %s' % (step['do'], step['method'], step['path'])
        try:
            resp = self._answer(step)
        except KeyError as exc:
            self.failures.append('%s: not replayable, %s was not found by '
                                 'an earlier call' % (where, exc))
            return
        problems = []
        for secret in SECRETS:
            if secret in resp.text:
                problems.append('shows a secret')
        if resp.status_int not in step['status']:
            problems.append('answered %s (expected %s): %s' % (
                resp.status_int, step['status'], resp.text[:200]))
            self.failures.append('%s: %s' % (where, '; '.join(problems)))
            return
        try:
            body = resp.json if resp.body else None
        except ValueError:
            self.failures.append('%s: answered no JSON: %r'
                                 % (where, resp.text[:200]))
            return
        if 'object' in step:
            problems += _check_fields(self.fields[step['object']], body,
                                      step['object'])
        if 'collection' in step:
            items = body.get(step['collection']) if isinstance(
                body, dict) else None
            if not isinstance(items, list):
                problems.append('has no list %s' % step['collection'])
                items = []
            if step.get('nonempty') and not items:
                problems.append('%s is empty' % step['collection'])
            for i, item in enumerate(items):
                if 'items' in step:
                    problems += _check_fields(
                        self.fields[step['items']], item,
                        '%s[%d]' % (step['collection'], i))
            if 'absent' in step:
                gone = self._format(step['absent'])
                if any(i.get('id') == gone for i in items):
                    problems.append('still lists %s' % gone)
        for name, value in step.get('expect', {}).items():
            if not isinstance(body, dict) or body.get(name) != value:
                problems.append('%s is %r, not %r' % (
                    name, (body or {}).get(name), value))
        for name, path in step.get('save', {}).items():
            try:
                self.saved[name] = _lookup(body, path)
            except (KeyError, IndexError, TypeError):
                problems.append('has no %s' % path)
        if problems:
            self.failures.append('%s: %s' % (where, '; '.join(problems)))


def test_dashboard_click_through(dashboard):
    with open(CALLS) as f:
        spec = json.load(f)
    replay = Replay(dashboard, spec)
    for step in spec['steps']:
        replay.step(step)
    print('\nSODA dashboard replay: %d steps, %d calls, %d failing steps'
          % (len(spec['steps']), replay.calls, len(replay.failures)))
    for failure in replay.failures:
        print('  ' + failure)
    assert not replay.failures, '\n'.join(
        ['%d of %d steps failed:' % (len(replay.failures),
                                     len(spec['steps']))]
        + replay.failures)
