"""[telemetry] options of performance collection, and the options of the
performance exporters ([DEFAULT] performance_exporters,
[PROMETHEUS_EXPORTER], [KAFKA_EXPORTER], [JSON_EXPORTER]).

Group and option names that Delfin has keep Delfin's names, so that a
Delfin configuration file configures the same things here.
"""
from oslo_config import cfg

telemetry_opts = [
    cfg.BoolOpt('enable_performance_collection', default=True,
                help='Collect the performance samples of every storage '
                     'whose driver offers metrics, on the task node that '
                     'owns the storage.'),
    cfg.IntOpt('performance_collection_interval', default=900, min=1,
               help='Seconds between two performance collections of a '
                    'storage (its window length), unless the storage has '
                    'its own (PUT /v1/storages/{id}/metrics-config) or '
                    'its driver asks for one (collect_interval).'),
    cfg.IntOpt('performance_history_on_reschedule', default=1800, min=0,
               help='Seconds of history asked for at most when a '
                    'collection resumes after a gap (a restart, failed '
                    'windows) and the driver does not say how much '
                    'history the backend keeps '
                    '(performance_metric_retention_window).'),
    cfg.IntOpt('performance_timestamp_overlap', default=60, min=0,
               help='Seconds by which consecutive collection windows '
                    'overlap, to absorb clock skew between the backend '
                    'and this node; samples seen twice are dropped.'),
    cfg.IntOpt('performance_collection_timeout', default=300, min=1,
               help='Seconds a driver may take to answer one collection '
                    'window; a driver that takes longer is cut off and '
                    'the window retried later.'),
    cfg.IntOpt('performance_retry_interval', default=60, min=1,
               help='Seconds before a failed collection window is tried '
                    'again (while the backend still keeps its history).'),
    cfg.IntOpt('performance_check_interval', default=5, min=1,
               help='Seconds between two looks of the collection '
                    'scheduler for storages whose window is due.'),
    cfg.IntOpt('performance_sample_retention', default=86400, min=0,
               help='Seconds of samples kept in the database for '
                    'GET /v1/storages/{id}/metrics by the "sql" '
                    'exporter; 0 keeps none.'),
]

default_opts = [
    cfg.ListOpt('performance_exporters', default=['prometheus', 'sql'],
                help='Performance exporters (entry points of '
                     'delfin.performance.exporters): prometheus, sql, '
                     'kafka, jsonl.  Delfin\'s class names '
                     '(PerformanceExporterPrometheus, '
                     'PerformanceExporterKafka) are accepted; '
                     'PerformanceExporterExample means none.'),
    cfg.IntOpt('performance_exporter_queue', default=64, min=1,
               help='Batches of samples waiting for one exporter at most; '
                    'a batch that finds the queue full is dropped and '
                    'counted, so a slow exporter never delays collection '
                    'or another exporter.'),
]

prometheus_opts = [
    cfg.StrOpt('metric_server_ip', default='127.0.0.1',
               help='Address of the Prometheus exposition of the '
                    'performance samples served by each task node '
                    '(Delfin binds 0.0.0.0).'),
    cfg.PortOpt('metric_server_port', default=8195,
                help='Port of that exposition; 0 serves none (the API\'s '
                     '/metrics page shows the samples of its own process, '
                     'as in delfin-all).'),
    cfg.StrOpt('metrics_dir', default='',
               help='Unused: the samples are served from memory, the '
                    'latest per series (Delfin wrote files here).'),
]

kafka_opts = [
    cfg.StrOpt('kafka_topic_name', default='delfin-kafka',
               help='Topic the kafka performance exporter writes to.'),
    cfg.StrOpt('kafka_ip', default='localhost',
               help='Kafka bootstrap server host.'),
    cfg.StrOpt('kafka_port', default='9092',
               help='Kafka bootstrap server port.'),
    cfg.DictOpt('kafka_producer_config', default={},
                help='Further librdkafka producer settings '
                     '(key:value,...), e.g. security.protocol:SSL.'),
]

json_opts = [
    cfg.StrOpt('path', default='',
               help='File the jsonl performance exporter appends one JSON '
                    'line per sample to.'),
    cfg.StrOpt('url', default='',
               help='URL the jsonl performance exporter POSTs batches of '
                    'JSON lines to (instead of, or besides, the file).'),
    cfg.FloatOpt('timeout', default=10.0, min=0.1,
                 help='Seconds a POST to that URL may take.'),
]


def register_opts(conf):
    conf.register_opts(telemetry_opts, group='telemetry')
    conf.register_opts(default_opts)
    conf.register_opts(prometheus_opts, group='PROMETHEUS_EXPORTER')
    conf.register_opts(kafka_opts, group='KAFKA_EXPORTER')
    conf.register_opts(json_opts, group='JSON_EXPORTER')


def list_opts():
    return [('telemetry', telemetry_opts), ('DEFAULT', default_opts),
            ('PROMETHEUS_EXPORTER', prometheus_opts),
            ('KAFKA_EXPORTER', kafka_opts), ('JSON_EXPORTER', json_opts)]
