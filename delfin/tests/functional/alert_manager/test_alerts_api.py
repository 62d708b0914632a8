"""The alert endpoints: listing from the store, clearing on the storage,
polling and reconciliation, and their input checks (Delfin's 400s/404s)."""
import pytest

from delfin.drivers.fake_storage import alerts as fake_alerts

HELD = {'fake_alert_range': '4-4'}


@pytest.fixture(scope='module')
def polled(pipeline):
    """A storage whose four held alerts were polled at registration."""
    storage = pipeline.register(extra_attributes=HELD)
    pipeline.wait_alerts(storage['id'], lambda a: len(a) == 4,
                         what='the poll after registration')
    return storage


def _by_seq(alerts):
    return {a['sequence_number']: a for a in alerts}


def test_registration_polls_the_held_alerts(pipeline, polled):
    alerts = pipeline.storage_alerts(polled['id'])
    assert sorted(_by_seq(alerts)) == ['100', '101', '102', '103']
    for alert in alerts:
        assert (alert['source'], alert['state']) == ('poll', 'open')
        assert alert['storage_name'] == polled['name']
        assert alert['occurrence_count'] == 1
    # Newest first by default.
    times = [a['occur_time'] for a in alerts]
    assert times == sorted(times, reverse=True)


def test_sync_again_counts_nothing_twice(pipeline, polled):
    pipeline.sync(polled['id'])
    alerts = pipeline.storage_alerts(polled['id'])
    assert len(alerts) == 4
    assert {a['occurrence_count'] for a in alerts} == {1}


def test_time_window(pipeline, polled):
    alerts = pipeline.storage_alerts(polled['id'])
    times = sorted(a['occur_time'] for a in alerts)
    window = pipeline.storage_alerts(
        polled['id'], '?begin_time=%d&end_time=%d' % (times[1], times[2]))
    assert sorted(a['occur_time'] for a in window) == times[1:3]
    later = pipeline.storage_alerts(polled['id'],
                                    '?begin_time=%d' % (times[3] + 1))
    assert later == []


def test_clear_alert_on_the_storage_and_in_the_store(pipeline, polled):
    sid = polled['id']
    resp = pipeline.request('DELETE', '/v1/storages/%s/alerts/101' % sid)
    assert resp.status_int == 200, resp.text
    assert _by_seq(pipeline.storage_alerts(sid))['101']['state'] == 'cleared'
    # The storage forgot it too: a poll keeps it cleared.
    pipeline.sync(sid)
    assert _by_seq(pipeline.storage_alerts(sid))['101']['state'] == 'cleared'
    # Clearing it again changes nothing.
    resp = pipeline.request('DELETE', '/v1/storages/%s/alerts/101' % sid)
    assert resp.status_int == 200, resp.text
    # A sequence number no alert of the storage has: 404.
    for number in ('999', '0'):
        resp = pipeline.request('DELETE', '/v1/storages/%s/alerts/%s'
                                % (sid, number))
        assert resp.status_int == 404, resp.text
        assert resp.json['error_code'] == 'AlertNotFound'


def test_reconcile_closes_what_the_storage_no_longer_reports(pipeline):
    storage = pipeline.register(extra_attributes=HELD,
                                version='SNMPv2c',
                                community_string='reconcile')
    sid = storage['id']
    pipeline.wait_alerts(sid, lambda a: len(a) == 4)
    # A trap of an alert the storage holds, and one it does not.
    pipeline.trap(1, community='reconcile')
    pipeline.trap(77, community='reconcile')
    pipeline.wait_alerts(sid, lambda a: len(a) == 6)
    # The storage now holds two alerts only.
    rest = pipeline.get('/v1/storages/%s/access-info' % sid)['rest']
    rest['password'] = 'secret-password'
    resp = pipeline.request('PUT', '/v1/storages/%s/access-info' % sid, {
        'rest': rest, 'extra_attributes': {'fake_alert_range': '2-2'}})
    assert resp.status_int == 200, resp.text
    pipeline.sync(sid)
    alerts = pipeline.storage_alerts(sid)
    states = {(a['source'], a['alert_id']): a['state'] for a in alerts}
    prefix = fake_alerts.TRAP_PREFIX
    assert states == {
        ('poll', prefix + '.1'): 'open', ('poll', prefix + '.2'): 'open',
        ('poll', prefix + '.3'): 'cleared',
        ('poll', prefix + '.4'): 'cleared',
        # Matched by match key: still reported, so still open.
        ('trap', prefix + '.1'): 'open',
        ('trap', prefix + '.77'): 'cleared'}


def test_global_list_filters_sort_and_pages(pipeline, polled):
    everything = pipeline.get('/v1/alerts?limit=1000')
    assert everything['total'] == len(everything['alerts']) >= 4
    open_ = pipeline.get('/v1/alerts?state=open&storage_id=%s'
                         % polled['id'])
    assert open_['total'] == 3
    assert {a['state'] for a in open_['alerts']} == {'open'}
    severities = {a['severity'] for a in open_['alerts']}
    some = sorted(severities)[0]
    by_severity = pipeline.get('/v1/alerts?severity=%s&storage_id=%s'
                               % (some, polled['id']))['alerts']
    assert by_severity and {a['severity'] for a in by_severity} == {some}
    pages, marker = [], None
    while True:
        query = '/v1/alerts?limit=2&sort=occur_time:asc&storage_id=%s' % \
            polled['id']
        if marker:
            query += '&marker=' + marker
        page = pipeline.get(query)
        assert page['total'] == 4
        if not page['alerts']:
            break
        pages += page['alerts']
        marker = page['alerts'][-1]['id']
    times = [a['occur_time'] for a in pages]
    assert len(pages) == 4 and times == sorted(times)


@pytest.mark.parametrize('query', [
    '?begin_time=abc', '?end_time=1.5', '?begin_time=20&end_time=20',
    '?begin_time=30&end_time=20', '?limit=-1',
    '?sort=occur_time:sideways', '?sort=nope'])
def test_bad_list_queries_are_400(pipeline, polled, query):
    for path in ('/v1/storages/%s/alerts' % polled['id'], '/v1/alerts'):
        resp = pipeline.request('GET', path + query)
        assert resp.status_int == 400, (path, query)
        assert resp.json['error_code'] == 'InvalidInput'


def test_unknown_list_parameters_are_ignored(pipeline, polled):
    # As Delfin ignores them.
    for path in ('/v1/storages/%s/alerts' % polled['id'], '/v1/alerts'):
        plain = pipeline.request('GET', path)
        resp = pipeline.request('GET', path + '?colour=red')
        assert resp.status_int == 200, resp.text
        assert resp.json['total'] == plain.json['total'] > 0


def test_unknown_storage_or_marker_is_404(pipeline):
    missing = '00000000-0000-0000-0000-000000000000'
    for method, path, body in (
            ('GET', '/v1/storages/%s/alerts' % missing, None),
            ('DELETE', '/v1/storages/%s/alerts/100' % missing, None),
            ('POST', '/v1/storages/%s/alerts/sync' % missing, {})):
        resp = pipeline.request(method, path, body)
        assert resp.status_int == 404, path
        assert resp.json['error_code'] == 'StorageNotFound'
    resp = pipeline.request('GET', '/v1/alerts?marker=%s' % missing)
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'AlertNotFound'


@pytest.mark.parametrize('body', [
    {'begin_time': 5, 'end_time': 5}, {'begin_time': 'x'},
    {'end_time': 1, 'colour': 'red'}, None])
def test_bad_sync_bodies_are_400(pipeline, polled, body):
    resp = pipeline.request('POST', '/v1/storages/%s/alerts/sync'
                            % polled['id'], body)
    assert resp.status_int == 400


def test_metrics_count_stored_alerts(pipeline, polled):
    text = pipeline.metrics()
    assert 'delfin_alerts_stored_total{result="new"}' in text
    assert 'delfin_snmp_trap_queue_depth' in text
    assert 'delfin_snmp_trap_delivery_seconds_bucket' in text
    assert 'delfin_alert_batch_processing_seconds_count' in text


def test_clear_a_trap_alert_by_the_sequence_number_listed(pipeline):
    storage = pipeline.register(extra_attributes=HELD, version='SNMPv2c',
                                community_string='clear-trap')
    sid = storage['id']
    pipeline.wait_alerts(sid, lambda a: len(a) == 4)
    pipeline.trap(55, community='clear-trap')
    trap_alert = pipeline.wait_alerts(
        sid, lambda alerts: next((a for a in alerts
                                  if a['source'] == 'trap'), None))
    listed = pipeline.get('/v1/alerts?storage_id=%s&source=trap' % sid)
    number = listed['alerts'][0]['sequence_number']
    assert number == trap_alert['sequence_number']
    resp = pipeline.request('DELETE', '/v1/storages/%s/alerts/%s'
                            % (sid, number))
    assert resp.status_int == 200, resp.text
    cleared = pipeline.get('/v1/alerts?storage_id=%s&source=trap' % sid)
    assert [a['state'] for a in cleared['alerts']] == ['cleared']


class _TrapDuringList(object):
    """The driver API, with a trap of an alert the storage does not hold
    arriving (and stored) while the storage's alert list is read."""

    def __init__(self, pipeline, storage_id, community):
        from delfin.drivers import api as driver_api
        self.api = driver_api.API()
        self.pipeline = pipeline
        self.storage_id = storage_id
        self.community = community

    def list_alerts(self, context, storage_id, query_para=None):
        listed = self.api.list_alerts(context, storage_id, query_para)
        self.pipeline.trap(88, community=self.community)
        self.pipeline.wait_alerts(
            self.storage_id,
            lambda alerts: any(a['source'] == 'trap' for a in alerts))
        return listed


def test_a_poll_never_clears_a_trap_it_could_not_have_listed(pipeline):
    from delfin.alert_manager import poller
    from delfin import context
    storage = pipeline.register(extra_attributes=HELD, version='SNMPv2c',
                                community_string='during-poll')
    sid = storage['id']
    pipeline.wait_alerts(sid, lambda a: len(a) == 4)
    summary = poller.sync_alerts(
        context.get_admin_context(), sid,
        driver=_TrapDuringList(pipeline, sid, 'during-poll'))
    assert summary['cleared'] == 0
    states = {(a['source'], a['alert_id'].rsplit('.', 1)[-1]): a['state']
              for a in pipeline.storage_alerts(sid)}
    assert states[('trap', '88')] == 'open'
    # The next poll, which could have listed it, reconciles it.
    pipeline.sync(sid)
    states = {(a['source'], a['alert_id'].rsplit('.', 1)[-1]): a['state']
              for a in pipeline.storage_alerts(sid)}
    assert states[('trap', '88')] == 'cleared'
