"""[DEFAULT] and [sync] options of resource synchronisation."""
from oslo_config import cfg

default_opts = [
    cfg.IntOpt('sync_task_expiration', default=1800, min=1,
               help='Seconds after which a sync job that made no progress is '
                    'considered lost and a new sync may start.'),
    cfg.BoolOpt('periodic_enable', default=True,
                help='Re-sync every storage periodically.'),
    cfg.IntOpt('periodic_interval', default=60, min=1,
               help='Seconds between two checks for storages due a sync.'),
    cfg.IntOpt('periodic_fuzzy_delay', default=60, min=0,
               help='Maximum random delay, in seconds, before the first '
                    'periodic check.'),
]

sync_opts = [
    cfg.IntOpt('interval', default=3600, min=0,
               help='Seconds between two periodic syncs of one storage; 0 '
                    'disables periodic sync.'),
    cfg.FloatOpt('jitter', default=0.1, min=0, max=1,
                 help='Fraction of the interval by which each storage\'s '
                      'schedule is spread, so storages do not sync in '
                      'lockstep.'),
    cfg.IntOpt('max_backoff', default=86400, min=1,
               help='Upper bound, in seconds, of the delay before re-syncing '
                    'a storage whose last syncs failed.'),
    cfg.IntOpt('workers', default=4, min=1,
               help='Syncs that run at the same time in one task process.'),
    cfg.IntOpt('chunk_size', default=5000, min=100,
               help='Rows read from a driver and written to the database '
                    'per batch.'),
    cfg.IntOpt('requeue_after', default=300, min=0,
               help='Seconds after which a sync job still queued is handed '
                    'to a worker again (its request may have been lost, in '
                    'a restart say; a job only ever runs once); 0 never '
                    'does. Checked with the periodic sync.'),
    cfg.IntOpt('recovery_interval', default=2, min=1,
               help='Seconds between two checks of a task node for sync '
                    'jobs to recover: it writes the heartbeat of the jobs '
                    'it runs, takes over the running jobs of nodes that '
                    'left the task group, and runs the jobs queued for '
                    'more than pickup_delay of the storages it owns.'),
    cfg.IntOpt('pickup_delay', default=5, min=0,
               help='Seconds a sync job may stay queued before the task '
                    'node owning its storage runs it without waiting for '
                    'its message (lost, or never sent while the broker was '
                    'away).'),
    cfg.IntOpt('job_history', default=50, min=1,
               help='Finished sync jobs kept per storage; older ones are '
                    'deleted when a new job is created.'),
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(sync_opts, group='sync')


def list_opts():
    return [('DEFAULT', default_opts), ('sync', sync_opts)]
