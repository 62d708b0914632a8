"""A driver for an SSH CLI-managed array ("acme cli_array"), written the
way Delfin's CLI drivers are: an SSHPool (and a subclass of it, like the
Fujitsu Eternus and MacroSAN drivers have), ``key: value`` output parsed
with Tools, alert times read as host-local time, performance dumps fetched
over SCP."""
import shutil
import tempfile

import paramiko
import six
from oslo_log import log

from delfin import cryptor
from delfin import exception
from delfin import utils
from delfin.common import alert_util
from delfin.common import constants
from delfin.drivers import driver
from delfin.drivers.utils import ssh_client
from delfin.drivers.utils.ssh_client import SSHPool
from delfin.drivers.utils.tools import Tools
from delfin.i18n import _

LOG = log.getLogger(__name__)

TIME_PATTERN = '%Y-%m-%d %H:%M:%S'
PROMPT = 'acme> '
DEFAULT_PERF_DIR = '/dumps/iostats/'
STATUS_MAP = {'OK': constants.StorageStatus.NORMAL,
              'Degraded': constants.StorageStatus.DEGRADED}
POOL_STATUS_MAP = {'OK': constants.StoragePoolStatus.NORMAL,
                   'Degraded': constants.StoragePoolStatus.DEGRADED}
VOLUME_STATUS_MAP = {'normal': constants.VolumeStatus.AVAILABLE,
                     'failed': constants.VolumeStatus.ERROR}
NODE_STATUS_MAP = {'online': constants.ControllerStatus.NORMAL,
                   'offline': constants.ControllerStatus.OFFLINE}
SEVERITY_MAP = {'Critical': constants.Severity.CRITICAL,
                'Major': constants.Severity.MAJOR,
                'Minor': constants.Severity.MINOR,
                'Informational': constants.Severity.INFORMATIONAL}


class AcmeSSHPool(SSHPool):
    """Connects like Delfin's vendor pools do in their own create():
    a banner timeout, and the old SOCKET_TIMEOUT/conn_timeout names."""

    def create(self):
        ssh = paramiko.SSHClient()
        try:
            if self.ssh_pub_key is None:
                ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            else:
                host_key = '%s %s %s' % (self.ssh_host, self.ssh_pub_key_type,
                                         self.ssh_pub_key)
                self.set_host_key(host_key, ssh)
            ssh.connect(hostname=self.ssh_host, port=self.ssh_port,
                        username=self.ssh_username,
                        password=cryptor.decode(self.ssh_password),
                        timeout=self.ssh_conn_timeout,
                        banner_timeout=self.SOCKET_TIMEOUT,
                        allow_agent=False, look_for_keys=False)
            if self.conn_timeout:
                ssh.get_transport().set_keepalive(self.conn_timeout)
            return ssh
        except Exception as e:
            err = six.text_type(e)
            LOG.error('doexec InvalidUsernameOrPassword error')
            if 'timed out' in err:
                raise exception.SSHConnectTimeout()
            elif 'Authentication failed' in err:
                raise exception.InvalidUsernameOrPassword()
            elif 'not found in known_hosts' in err:
                raise exception.SSHNotFoundKnownHosts(self.ssh_host)
            else:
                raise exception.SSHException(err)


class AcmeCliDriver(driver.StorageDriver):
    pool_class = SSHPool

    def __init__(self, **kwargs):
        super(AcmeCliDriver, self).__init__(**kwargs)
        self.ssh_pool = self.pool_class(**kwargs)
        extra = kwargs.get('extra_attributes') or {}
        self.perf_dir = extra.get('perf_dir', DEFAULT_PERF_DIR)

    def _records(self, command, is_alert=False):
        output = self.ssh_pool.do_exec(command)
        return Tools.split_value_map_list(output, [], is_alert=is_alert)

    def reset_connection(self, context, **kwargs):
        self.ssh_pool.do_exec('showsys')

    def get_storage(self, context):
        records = self._records('showsys')
        if not records:
            raise exception.InvalidResults(_('showsys returned nothing'))
        system = records[0]
        total = int(Tools.get_capacity_size(system['TotalCapacity']))
        used = int(Tools.get_capacity_size(system['UsedCapacity']))
        return {
            'name': system['SystemName'],
            'vendor': 'Acme',
            'model': system['Model'],
            'status': STATUS_MAP.get(system['Status'],
                                     constants.StorageStatus.UNKNOWN),
            'serial_number': system['SerialNumber'],
            'firmware_version': system['FirmwareVersion'],
            'total_capacity': total,
            'used_capacity': used,
            'free_capacity': total - used,
            'raw_capacity': int(Tools.get_capacity_size(
                system['RawCapacity'])),
        }

    def list_storage_pools(self, context):
        pools = []
        for pool in self._records('showpool'):
            total = int(Tools.get_capacity_size(pool['Total']))
            used = int(Tools.get_capacity_size(pool['Used']))
            pools.append({
                'name': pool['PoolName'],
                'storage_id': self.storage_id,
                'native_storage_pool_id': pool['PoolId'],
                'status': POOL_STATUS_MAP.get(
                    pool['Status'], constants.StoragePoolStatus.UNKNOWN),
                'storage_type': constants.StorageType.BLOCK,
                'total_capacity': total,
                'used_capacity': used,
                'free_capacity': total - used,
            })
        return pools

    def list_volumes(self, context):
        volumes = []
        for volume in self._records('showvv'):
            total = int(Tools.get_capacity_size(volume['Size']))
            used = int(Tools.get_capacity_size(volume['Used']))
            volumes.append({
                'name': volume['VolumeName'],
                'storage_id': self.storage_id,
                'native_volume_id': volume['VolumeId'],
                'native_storage_pool_id': volume['PoolId'],
                'status': VOLUME_STATUS_MAP.get(
                    volume['State'], constants.VolumeStatus.ERROR),
                'type': constants.VolumeType.THIN
                if volume['Provisioning'] == 'thin'
                else constants.VolumeType.THICK,
                'total_capacity': total,
                'used_capacity': used,
                'free_capacity': total - used,
            })
        return volumes

    def list_controllers(self, context):
        output = self.ssh_pool.do_exec_shell(['shownode'], sleep_time=0.2)
        output = output.replace(PROMPT, '')
        controllers = []
        for node in Tools.split_value_map_list(output, []):
            if 'NodeId' not in node:
                continue
            controllers.append({
                'name': node['NodeName'],
                'storage_id': self.storage_id,
                'native_controller_id': node['NodeId'],
                'status': NODE_STATUS_MAP.get(
                    node['State'], constants.ControllerStatus.UNKNOWN),
                'soft_version': node['Firmware'],
            })
        return controllers

    def list_alerts(self, context, query_para=None):
        alerts = []
        for record in self._records('showalert', is_alert=True):
            occur_time = Tools().time_str_to_timestamp(record['Time'],
                                                       TIME_PATTERN)
            if not alert_util.is_alert_in_time_range(query_para,
                                                     occur_time):
                continue
            alerts.append({
                'alert_id': record['Code'],
                'alert_name': record['Description'],
                'severity': SEVERITY_MAP.get(
                    record['Severity'], constants.Severity.NOT_SPECIFIED),
                'category': constants.Category.FAULT,
                'type': constants.EventType.EQUIPMENT_ALARM,
                'sequence_number': record['AlertId'],
                'occur_time': occur_time or utils.utcnow_ms(),
                'description': record['Description'],
                'resource_type': constants.DEFAULT_RESOURCE_TYPE,
                'location': record['Component'],
            })
        return alerts

    def clear_alert(self, context, sequence_number):
        utils.check_ssh_injection([sequence_number])
        result = self.ssh_pool.do_exec('removealert -f %s' % sequence_number)
        if 'removed' not in result:
            raise exception.StorageClearAlertFailed(result.strip())

    def add_trap_config(self, context, trap_config):
        pass

    def remove_trap_config(self, context, trap_config):
        pass

    @staticmethod
    def parse_alert(context, alert):
        return None

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        names = self.ssh_pool.do_exec('lsdumps').split()
        dumps = sorted(n for n in names if n.startswith('Nv_stats_'))
        if not dumps:
            return []
        local_path = tempfile.mkdtemp(prefix='acme-perf-')
        try:
            with self.ssh_pool.item() as ssh:
                root = Tools.get_remote_file_to_xml(ssh, dumps[-1],
                                                    local_path, self.perf_dir)
        finally:
            shutil.rmtree(local_path)
        if root is None:
            raise exception.StorageBackendException(
                _('could not read %s') % dumps[-1])
        timestamp = Tools().time_str_to_timestamp(root.get('timestamp'),
                                                  TIME_PATTERN)
        metrics = []
        for vdisk in root.iter('vdsk'):
            iops = int(vdisk.get('ro')) + int(vdisk.get('wo'))
            metrics.append(constants.metric_struct(
                name=constants.VolumeMetric.IOPS.name,
                labels={'storage_id': storage_id,
                        'resource_type': constants.ResourceType.VOLUME,
                        'resource_id': vdisk.get('idx'),
                        'unit': constants.VolumeMetric.IOPS.unit},
                values={timestamp: iops}))
        return metrics


class AcmeCliDriverWithOwnPool(AcmeCliDriver):
    pool_class = AcmeSSHPool


def legacy_exec(access_info, command):
    """One command over Delfin's unpooled client."""
    return ssh_client.SSHClient(**access_info).do_exec(command)
