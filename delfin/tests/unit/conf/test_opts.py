"""Every option is registered once and listed for the sample generator."""
from oslo_config import cfg

import delfin.conf
from delfin.conf import opts


def test_list_opts_covers_delfin_option_names():
    listed = {(group, o.name) for group, options in opts.list_opts()
              for o in options}
    for name in ('delfin_listen', 'delfin_listen_port', 'api_max_limit',
                 'trap_receiver_address', 'trap_receiver_port'):
        assert ('DEFAULT', name) in listed
    assert ('database', 'connection') in listed
    assert ('fake_driver', 'fake_volume_range') in listed


def test_options_are_registered_on_the_global_conf():
    conf = delfin.conf.CONF
    assert conf.delfin_listen_port == 8190
    assert conf.api_max_limit == 1000
    assert conf.trap_receiver_port == 162


def test_list_opts_has_no_duplicate_in_a_group():
    for group, options in opts.list_opts():
        names = [o.name for o in options]
        assert len(names) == len(set(names)), group
    assert isinstance(opts.list_opts()[0][1][0], cfg.Opt)
