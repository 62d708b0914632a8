"""Delfin configuration files: what of them this service uses.

A configuration file written for Delfin 1.x works here:

* Delfin's ``[coordination]`` ``backend_type``, ``backend_server``,
  ``backend_user`` and ``backend_password`` (the password cryptor-encoded,
  i.e. base64, as Delfin required) make the tooz URL
  ``<type>://[<user>:<password>@]<server>`` when ``backend_url`` is not
  set; ``backend_url`` wins when both are.
* Every option of the file is checked once the files are read (`check`):
  an option this service registers is honoured; one of Delfin's own
  options that this service does not use is reported (log level INFO) as
  known but unused; an option that neither knows is reported as a warning
  with the file and line where it is set, so that a typo does not go
  unnoticed.
"""
import base64
import binascii
import glob
import os
import urllib.parse

from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# Delfin's [coordination] options that make its tooz URL.
coordination_opts = [
    cfg.StrOpt('backend_type', default=None,
               help="Delfin's name of the tooz backend (e.g. redis); with "
                    "backend_server it makes the backend URL when "
                    "backend_url is not set."),
    cfg.StrOpt('backend_server', default=None,
               help="Delfin's host:port of the coordination backend."),
    cfg.StrOpt('backend_user', default=None,
               help="Delfin's user name for the coordination backend."),
    cfg.StrOpt('backend_password', default=None, secret=True,
               help="Delfin's password for the coordination backend, "
                    "base64-encoded as Delfin stores it."),
]

# Delfin 1.x's options, by group (oslo.config's normalised group names),
# including those of the libraries Delfin configured through its file.
DELFIN_OPTIONS = {
    'DEFAULT': (
        'state_path', 'my_ip', 'host', 'delfin_api_ext_list',
        'delfin_api_extension', 'monkey_patch', 'monkey_patch_modules',
        'service_down_time', 'task_manager', 'delfin_task_topic',
        'delfin_alert_topic', 'alert_manager', 'delfin_cryptor',
        'sync_task_expiration', 'snmp_validation_enabled', 'api_max_limit',
        'periodic_enable', 'periodic_interval', 'periodic_fuzzy_delay',
        'delfin_listen', 'delfin_listen_port', 'delfin_workers',
        'delfin_use_ssl', 'trap_receiver_address', 'trap_receiver_port',
        'leader_election_plugin', 'alert_exporters',
        'performance_exporters', 'db_driver', 'transport_url',
        'api_paste_config', 'wsgi_log_format', 'tcp_keepidle',
        'wsgi_default_pool_size', 'max_header_line', 'wsgi_keep_alive',
        'client_socket_timeout', 'backdoor_port', 'backdoor_socket',
        'log_options', 'graceful_shutdown_timeout',
        'run_external_periodic_tasks', 'metrics_cache_file',
        'rpc_response_timeout', 'control_exchange'),
    'database': (
        'connection', 'db_backend', 'backend', 'slave_connection',
        'sqlite_synchronous', 'mysql_sql_mode', 'mysql_enable_ndb',
        'connection_recycle_time', 'idle_timeout', 'max_pool_size',
        'max_retries', 'retry_interval', 'max_overflow', 'pool_timeout',
        'connection_debug', 'connection_trace', 'connection_parameters',
        'use_db_reconnect', 'db_retry_interval', 'db_inc_retry_interval',
        'db_max_retry_interval', 'db_max_retries', 'sqlite_db'),
    'storage_driver': ('ca_path',),
    'telemetry': (
        'performance_collection_interval',
        'performance_history_on_reschedule', 'performance_timestamp_overlap',
        'max_failed_task_retry_window', 'enable_dynamic_subprocess',
        'process_cleanup_interval', 'task_cleanup_delay',
        'group_change_detect_interval', 'max_storages_in_child',
        'max_childs_in_node', 'node_weight'),
    'coordination': ('backend_type', 'backend_user', 'backend_password',
                     'backend_server', 'expiration', 'lease_timeout'),
    'fake_driver': ('fake_pool_range', 'fake_volume_range',
                    'fake_api_time_range', 'fake_page_query_limit',
                    'fake_controller_range', 'fake_port_range',
                    'fake_disk_range', 'fake_filesystem_range',
                    'fake_qtree_range', 'fake_quota_range',
                    'fake_share_range', 'fake_host_range',
                    'fake_initiator_range', 'fake_host_group_range',
                    'fake_port_group_range', 'fake_volume_group_range',
                    'fake_masking_view_range'),
    'oceanstor_driver': ('enable_perf_config',),
    'kafka_exporter': ('kafka_topic_name', 'kafka_ip', 'kafka_port'),
    'prometheus_exporter': ('metrics_dir', 'timezone', 'metric_server_ip',
                            'metric_server_port'),
    'prometheus_alert_manager_exporter': ('alert_manager_host',
                                          'alert_manager_port'),
    'cors': ('allowed_origin', 'allow_credentials', 'expose_headers',
             'max_age', 'allow_methods', 'allow_headers'),
}

# Libraries whose options may be set in the file without being registered
# when the file is read (oslo.messaging registers its drivers' options
# when a transport is built).
LIBRARY_NAMESPACES = ('oslo.messaging', 'oslo.log')


def register_opts(conf):
    conf.register_opts(coordination_opts, group='coordination')


def list_opts():
    return [('coordination', coordination_opts)]


def _group_name(name):
    return name if name == 'DEFAULT' else name.lower()


def _plain_password(value):
    """Delfin's base64-encoded password in clear (as it is when it is not
    base64)."""
    try:
        return base64.b64decode(value.encode('ascii'),
                                validate=True).decode('utf-8')
    except (binascii.Error, UnicodeError, ValueError):
        LOG.warning("[coordination] backend_password is not base64 as "
                    "Delfin stored it; using it as it is")
        return value


def _url_is_set(conf):
    """Whether ``[coordination] backend_url`` is set by the configuration
    (a file or oslo.config's environment variable), not defaulted."""
    if os.environ.get('OS_COORDINATION__BACKEND_URL'):
        return True
    for path in config_files(conf):
        try:
            for group, name, _line in _settings(path):
                if (group, name) == ('coordination', 'backend_url'):
                    return True
        except OSError:
            continue
    return False


def coordination_url(conf=None):
    """The tooz URL of the configuration: ``backend_url``, or the one that
    Delfin's ``backend_*`` options make when only those are set."""
    conf = conf or cfg.CONF
    opts = conf.coordination
    if not opts.backend_server or _url_is_set(conf):
        return opts.backend_url
    netloc = opts.backend_server
    if opts.backend_password:
        netloc = '%s:%s@%s' % (
            urllib.parse.quote(opts.backend_user or '', safe=''),
            urllib.parse.quote(_plain_password(opts.backend_password),
                               safe=''),
            netloc)
    elif opts.backend_user:
        netloc = '%s@%s' % (urllib.parse.quote(opts.backend_user, safe=''),
                            netloc)
    return '%s://%s' % (opts.backend_type or 'redis', netloc)


def _registered(conf):
    """{normalised group: set of option names} registered on ``conf``."""
    known = {'DEFAULT': set()}
    for name in conf:
        value = conf[name]
        if isinstance(value, cfg.ConfigOpts.GroupAttr):
            known.setdefault(_group_name(name), set()).update(value)
        else:
            known['DEFAULT'].add(name)
    return known


def _library_options():
    known = {}
    try:
        import stevedore
        manager = stevedore.named.NamedExtensionManager(
            'oslo.config.opts', names=list(LIBRARY_NAMESPACES),
            invoke_on_load=True)
        for extension in manager:
            for group, opts in extension.obj:
                name = getattr(group, 'name', group) or 'DEFAULT'
                known.setdefault(_group_name(name), set()).update(
                    o.dest for o in opts)
    except Exception:  # noqa: BLE001  without them only more is reported
        LOG.debug("Could not list the libraries' options", exc_info=True)
    return known


def config_files(conf=None):
    conf = conf or cfg.CONF
    files = list(conf.config_file or [])
    directories = conf.config_dir or []
    if isinstance(directories, str):
        directories = [directories]
    for directory in directories:
        files += sorted(glob.glob(os.path.join(directory, '*.conf')))
    return files


def _settings(path):
    """(group, option, line number) of every option set in ``path``."""
    group = 'DEFAULT'
    with open(path) as f:
        for number, line in enumerate(f, 1):
            text = line.rstrip('\n')
            stripped = text.strip()
            if not stripped or stripped[0] in '#;':
                continue
            if text[0] in ' \t':
                continue        # continuation of a multi-line value
            if stripped.startswith('['):
                group = _group_name(stripped[1:stripped.index(']')]
                                    if ']' in stripped else stripped[1:])
                continue
            for sep in ('=', ':'):
                if sep in stripped:
                    yield group, stripped.split(sep, 1)[0].strip(), number
                    break


def check(conf=None, files=None):
    """Report the options of the configuration files that this service
    does not use; returns ``(unused, unknown)``, lists of
    ``(group, option, file, line)``."""
    conf = conf or cfg.CONF
    registered = _registered(conf)
    libraries = None
    unused, unknown = [], []
    for path in config_files(conf) if files is None else files:
        try:
            settings = list(_settings(path))
        except OSError:
            continue
        for group, name, line in settings:
            if name in registered.get(group, ()):
                continue
            where = (group, name, path, line)
            if name in DELFIN_OPTIONS.get(group, ()):
                unused.append(where)
                LOG.info("Delfin option [%s] %s (%s:%d) is known but not "
                         "used by this service", group, name, path, line)
                continue
            if libraries is None:
                libraries = _library_options()
            if name in libraries.get(group, ()):
                continue
            unknown.append(where)
            LOG.warning("Unknown option [%s] %s in %s, line %d: neither "
                        "this service nor Delfin has it", group, name, path,
                        line)
    return unused, unknown
