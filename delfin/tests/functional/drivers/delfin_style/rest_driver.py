"""A driver for a REST-managed array ("acme rest_array"), written the way
Delfin's REST drivers are: a RestClient subclass that logs in with a
token kept encrypted in memory, and a StorageDriver that maps the
backend's JSON to Delfin's dicts."""
import hashlib

import six
from oslo_log import log

from delfin import cryptor
from delfin import exception
from delfin import ssl_utils
from delfin import utils
from delfin.common import alert_util
from delfin.common import constants
from delfin.drivers import driver
from delfin.drivers.utils.rest_client import RestClient
from delfin.drivers.utils.tools import Tools
from delfin.i18n import _

LOG = log.getLogger(__name__)

TIME_PATTERN = '%Y-%m-%d %H:%M:%S'
TOKEN_HEADER = 'X-Auth-Token'
HEALTH_MAP = {
    'OK': constants.StorageStatus.NORMAL,
    'Degraded': constants.StorageStatus.DEGRADED,
    'Offline': constants.StorageStatus.OFFLINE,
}
POOL_HEALTH_MAP = {
    'OK': constants.StoragePoolStatus.NORMAL,
    'Degraded': constants.StoragePoolStatus.DEGRADED,
}
VOLUME_STATE_MAP = {
    'online': constants.VolumeStatus.AVAILABLE,
    'offline': constants.VolumeStatus.ERROR,
}
SEVERITY_MAP = {
    'critical': constants.Severity.CRITICAL,
    'major': constants.Severity.MAJOR,
    'warning': constants.Severity.WARNING,
    'info': constants.Severity.INFORMATIONAL,
}
TRAP_OIDS = {
    'sequence': '1.3.6.1.4.1.99999.1.1',
    'code': '1.3.6.1.4.1.99999.1.2',
    'severity': '1.3.6.1.4.1.99999.1.3',
    'message': '1.3.6.1.4.1.99999.1.4',
    'time': '1.3.6.1.4.1.99999.1.5',
}


class AcmeRestClient(RestClient):
    def login(self):
        self.init_http_head()
        data = {'username': self.rest_username,
                'password': cryptor.decode(self.rest_password)}
        res = self.do_call('/api/v1/sessions', data, 'POST')
        if res.status_code == 401:
            raise exception.InvalidUsernameOrPassword()
        if res.status_code != 200:
            raise exception.StorageBackendException(six.text_type(res.text))
        self.rest_auth_token = cryptor.encode(res.json()['token'])

    def logout(self):
        if self.session and self.rest_auth_token:
            try:
                self.call('/api/v1/sessions', method='DELETE')
            except exception.DelfinException as e:
                LOG.warning("Logout failed: %s", six.text_type(e))
            self.rest_auth_token = None
        if self.session:
            self.session.close()
            self.session = None

    def call(self, url, data=None, method='GET', retry=True):
        if not self.rest_auth_token:
            self.login()
        self.session.headers[TOKEN_HEADER] = \
            cryptor.decode(self.rest_auth_token)
        res = self.do_call(url, data, method)
        if res.status_code == 401 and retry:
            self.rest_auth_token = None
            return self.call(url, data, method, retry=False)
        if res.status_code == 404:
            return None
        if res.status_code != 200:
            raise exception.StorageBackendException(
                _("%(method)s %(url)s answered %(code)s") %
                {'method': method, 'url': url, 'code': res.status_code})
        return res.json()


class AcmeLaxRestClient(AcmeRestClient):
    """For arrays whose certificates do not name their address: the
    chain is still verified, the host name is not."""

    def init_http_head(self):
        super(AcmeLaxRestClient, self).init_http_head()
        self.session.mount('https://',
                           ssl_utils.get_host_name_ignore_adapter())


class AcmeRestDriver(driver.StorageDriver):
    client_class = AcmeRestClient

    def __init__(self, **kwargs):
        super(AcmeRestDriver, self).__init__(**kwargs)
        self.rest_client = self.client_class(**kwargs)

    def reset_connection(self, context, **kwargs):
        self.rest_client.logout()
        self.rest_client.verify = kwargs.get('verify', False)
        self.rest_client.login()

    def close_connection(self):
        self.rest_client.logout()

    def get_storage(self, context):
        system = self.rest_client.call('/api/v1/system')
        if not system:
            raise exception.InvalidResults(_('no system information'))
        total = int(Tools.get_capacity_size(system['total_capacity']))
        used = int(Tools.get_capacity_size(system['used_capacity']))
        return {
            'name': system['name'],
            'vendor': 'Acme',
            'model': system['model'],
            'status': HEALTH_MAP.get(system['health'],
                                     constants.StorageStatus.UNKNOWN),
            'serial_number': system['serial'],
            'firmware_version': system['firmware'],
            'location': system.get('location'),
            'total_capacity': total,
            'used_capacity': used,
            'free_capacity': total - used,
            'raw_capacity': int(Tools.get_capacity_size(
                system['raw_capacity'])),
        }

    def list_storage_pools(self, context):
        pools = []
        for pool in self.rest_client.call('/api/v1/pools') or []:
            total = int(Tools.get_capacity_size(pool['total_capacity']))
            used = int(Tools.get_capacity_size(pool['used_capacity']))
            pools.append({
                'name': pool['name'],
                'storage_id': self.storage_id,
                'native_storage_pool_id': pool['id'],
                'status': POOL_HEALTH_MAP.get(
                    pool['health'], constants.StoragePoolStatus.UNKNOWN),
                'storage_type': constants.StorageType.BLOCK,
                'total_capacity': total,
                'used_capacity': used,
                'free_capacity': total - used,
            })
        return pools

    def list_volumes(self, context):
        volumes = []
        for volume in self.rest_client.call('/api/v1/volumes') or []:
            total = int(Tools.get_capacity_size(volume['size']))
            used = int(Tools.get_capacity_size(volume['allocated']))
            volumes.append({
                'name': volume['name'],
                'storage_id': self.storage_id,
                'native_volume_id': volume['id'],
                'native_storage_pool_id': volume['pool'],
                'wwn': volume['wwn'],
                'status': VOLUME_STATE_MAP.get(
                    volume['state'], constants.VolumeStatus.ERROR),
                'type': constants.VolumeType.THIN if volume['thin']
                else constants.VolumeType.THICK,
                'total_capacity': total,
                'used_capacity': used,
                'free_capacity': total - used,
            })
        return volumes

    def _alert_model(self, alert):
        occur_time = Tools().time_str_to_timestamp(alert['time'],
                                                   TIME_PATTERN)
        return {
            'alert_id': alert['code'],
            'alert_name': alert['message'],
            'severity': SEVERITY_MAP.get(alert['severity'],
                                         constants.Severity.NOT_SPECIFIED),
            'category': constants.Category.FAULT,
            'type': constants.EventType.EQUIPMENT_ALARM,
            'sequence_number': alert['seq'],
            'occur_time': occur_time or utils.utcnow_ms(),
            'description': alert['message'],
            'resource_type': constants.DEFAULT_RESOURCE_TYPE,
            'location': alert['component'],
            'match_key': hashlib.md5(
                (alert['code'] + alert['component']).encode()).hexdigest(),
        }

    def list_alerts(self, context, query_para=None):
        alerts = []
        for alert in self.rest_client.call('/api/v1/alerts') or []:
            model = self._alert_model(alert)
            if alert_util.is_alert_in_time_range(query_para,
                                                 model['occur_time']):
                alerts.append(model)
        return alerts

    def clear_alert(self, context, sequence_number):
        result = self.rest_client.call('/api/v1/alerts/%s' % sequence_number,
                                       method='DELETE')
        if result is None:
            raise exception.StorageClearAlertFailed(
                _('alert %s does not exist') % sequence_number)

    def add_trap_config(self, context, trap_config):
        pass

    def remove_trap_config(self, context, trap_config):
        pass

    @staticmethod
    def parse_alert(context, alert):
        try:
            severity = alert[TRAP_OIDS['severity']]
            return {
                'alert_id': alert[TRAP_OIDS['code']],
                'alert_name': alert[TRAP_OIDS['message']],
                'severity': SEVERITY_MAP.get(
                    severity, constants.Severity.NOT_SPECIFIED),
                'category': constants.Category.FAULT,
                'type': constants.EventType.EQUIPMENT_ALARM,
                'sequence_number': alert[TRAP_OIDS['sequence']],
                'occur_time': int(alert[TRAP_OIDS['time']]),
                'description': alert[TRAP_OIDS['message']],
                'resource_type': constants.DEFAULT_RESOURCE_TYPE,
                'location': '',
            }
        except (KeyError, ValueError) as e:
            raise exception.InvalidResults(
                _('trap is missing %s') % six.text_type(e))

    @staticmethod
    def get_capabilities(context, filters=None):
        metrics = constants.StorageMetric
        return {
            'is_historic': True,
            'resource_metrics': {
                constants.ResourceType.STORAGE: {
                    metrics.IOPS.name: {
                        'unit': metrics.IOPS.unit,
                        'description': metrics.IOPS.description,
                    },
                    metrics.THROUGHPUT.name: {
                        'unit': metrics.THROUGHPUT.unit,
                        'description': metrics.THROUGHPUT.description,
                    },
                },
            },
        }

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        samples = self.rest_client.call(
            '/api/v1/performance?begin=%s&end=%s' % (start_time, end_time))
        metrics = []
        wanted = resource_metrics.get(constants.ResourceType.STORAGE, {})
        labels = {'storage_id': storage_id,
                  'resource_type': constants.ResourceType.STORAGE,
                  'resource_id': storage_id, 'type': 'RAW'}
        for name in wanted:
            values = {}
            for sample in (samples or {}).get('storage', []):
                if name in sample:
                    values[sample['time']] = sample[name]
            if values:
                labels_copy = dict(labels, unit=wanted[name]['unit'])
                metrics.append(constants.metric_struct(
                    name=name, labels=labels_copy, values=values))
        return metrics


class AcmeLaxRestDriver(AcmeRestDriver):
    client_class = AcmeLaxRestClient
