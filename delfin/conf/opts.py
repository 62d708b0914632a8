"""The option list that ``oslo-config-generator`` reads (entry point
``oslo.config.opts`` = ``delfin = delfin.conf.opts:list_opts``)."""
import collections

from delfin import conf as _conf


def list_opts():
    """Return [(group name, [options])] for every option of the service."""
    grouped = collections.OrderedDict()
    for module in _conf._MODULES:
        for group, opts in module.list_opts():
            grouped.setdefault(group, []).extend(opts)
    return list(grouped.items())
