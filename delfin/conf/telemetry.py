"""[telemetry] options of performance collection."""
from oslo_config import cfg

telemetry_opts = [
    cfg.IntOpt('performance_collection_interval', default=900, min=1,
               help='Seconds between two performance collections.'),
    cfg.IntOpt('performance_history_on_reschedule', default=1800, min=0,
               help='Seconds of history collected when a job is '
                    'rescheduled.'),
    cfg.IntOpt('performance_timestamp_overlap', default=60, min=0,
               help='Seconds by which consecutive collection windows '
                    'overlap.'),
]


def register_opts(conf):
    conf.register_opts(telemetry_opts, group='telemetry')


def list_opts():
    return [('telemetry', telemetry_opts)]
