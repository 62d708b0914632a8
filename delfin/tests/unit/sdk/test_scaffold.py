"""The driver scaffold renders a complete package (installation and the
conformance check of the result are in the functional tests)."""
import ast
import os
import tomllib

import pytest
import yaml

from delfin.sdk import scaffold


def test_names():
    names = scaffold.names('hpe', '3par')
    assert names == {'vendor': 'hpe', 'model': '3par',
                     'entry_point': 'hpe 3par',
                     'package': 'delfin_driver_hpe_3par',
                     'dist': 'delfin-driver-hpe-3par',
                     'class_name': 'Hpe3parDriver'}
    assert scaffold.names('3par', 'x')['class_name'] == 'Storage3parXDriver'
    assert scaffold.names('dell-emc', 'vnx_block')['package'] == \
        'delfin_driver_dell_emc_vnx_block'


@pytest.mark.parametrize('vendor,model', [('acme corp', 'x'), ('', 'x'),
                                          ('acme', 'x"y'), ('-a', 'b')])
def test_names_refuse_words_that_need_quoting(vendor, model):
    with pytest.raises(ValueError):
        scaffold.names(vendor, model)


def test_unknown_placeholder_is_an_error():
    with pytest.raises(KeyError):
        scaffold.render('{{nope}}', {'vendor': 'a'})
    assert scaffold.render('{{vendor}}{ {x} }', {'vendor': 'a'}) == \
        'a{ {x} }'


def test_created_package_is_complete(tmp_path):
    folder = scaffold.create('acme', 'flash', str(tmp_path))
    assert folder == str(tmp_path / 'delfin-driver-acme-flash')
    files = set()
    for root, _, names in os.walk(folder):
        files.update(os.path.relpath(os.path.join(root, n), folder)
                     for n in names)
    package = 'delfin_driver_acme_flash'
    for expected in ('pyproject.toml', 'README.md', 'samples/traps.yaml',
                     'samples/access_info.yaml', 'tests/test_driver.py',
                     package + '/driver.py', package + '/client.py',
                     package + '/mapping.py', package + '/__init__.py',
                     package + '/fixtures/GET_api_v1_system.json'):
        assert expected in files
    assert len(files) == len(scaffold.template_files())
    for relative in files:
        text = open(os.path.join(folder, relative)).read()
        assert '{{' not in text, relative
        if relative.endswith('.py'):
            ast.parse(text, relative)
    project = tomllib.loads(open(os.path.join(folder,
                                              'pyproject.toml')).read())
    assert project['project']['entry-points']['delfin.storage.drivers'] == {
        'acme flash': package + '.driver:AcmeFlashDriver'}
    access = yaml.safe_load(open(os.path.join(folder,
                                              'samples/access_info.yaml')))
    assert (access['vendor'], access['model']) == ('acme', 'flash')
    assert access['extra_attributes'] == {'replay': True}


def test_existing_folder_is_never_overwritten(tmp_path):
    folder = scaffold.create('acme', 'flash', str(tmp_path))
    marker = os.path.join(folder, 'README.md')
    with open(marker, 'w') as f:
        f.write('mine')
    with pytest.raises(FileExistsError):
        scaffold.create('acme', 'flash', str(tmp_path))
    assert open(marker).read() == 'mine'
