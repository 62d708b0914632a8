"""The driver doctor explains what stevedore sees and why a driver is not
found, on real temporary distributions."""
import json

from delfin.sdk import doctor
from delfin.tests.unit.sdk import sample_drivers
from delfin.tests.unit.sdk.distributions import make_distribution
from delfin.tests.unit.sdk.distributions import on_sys_path

GOOD = '%s:GoodDriver' % sample_drivers.__name__


def by_name(entries, name):
    return [e for e in entries if e.name == name]


def test_lists_entry_points_with_distribution_and_import_status(tmp_path):
    make_distribution(str(tmp_path), 'acme-drivers', '3.1', {
        'acme flash': GOOD,
        'acme broken': 'acme_missing_module.driver:Driver',
        'acme wrong': '%s:NotADriver' % sample_drivers.__name__,
    })
    with on_sys_path(tmp_path):
        entries = doctor.list_drivers()
    flash, = by_name(entries, 'acme flash')
    assert (flash.status, flash.distribution, flash.version) == (
        doctor.OK, 'acme-drivers', '3.1')
    assert flash.driver_class.endswith('sample_drivers.GoodDriver')
    assert flash.module_file.endswith('sample_drivers.py')
    broken, = by_name(entries, 'acme broken')
    assert broken.status == doctor.IMPORT_ERROR
    assert "No module named 'acme_missing_module'" in broken.error
    wrong, = by_name(entries, 'acme wrong')
    assert wrong.status == doctor.INVALID
    assert 'not a subclass' in wrong.error
    # The project's own driver is listed too.
    assert by_name(entries, 'fake_storage fake_driver')


def test_diagnose_found(tmp_path):
    make_distribution(str(tmp_path), 'acme-drivers', '3.1',
                      {'acme flash': GOOD})
    with on_sys_path(tmp_path):
        diagnosis = doctor.diagnose('acme', 'flash')
    assert diagnosis.found
    assert diagnosis.reasons == []


def test_diagnose_near_misses(tmp_path):
    make_distribution(str(tmp_path), 'acme-drivers', '3.1',
                      {'acme flash': GOOD})
    with on_sys_path(tmp_path):
        case = doctor.diagnose('ACME', 'Flash')
        swapped = doctor.diagnose('flash', 'acme')
        typo = doctor.diagnose('acme', 'flsh')
    assert not case.found
    assert '"acme flash" differs only in case or spacing' in case.reasons
    assert '"acme flash" has vendor and model swapped' in swapped.reasons
    assert '"acme flash" is a close spelling' in typo.reasons
    assert doctor.RESTART_HINT in typo.hints


def test_diagnose_import_failure(tmp_path):
    make_distribution(str(tmp_path), 'acme-drivers', '3.1',
                      {'acme flash': 'acme_missing_module:Driver'})
    with on_sys_path(tmp_path):
        diagnosis = doctor.diagnose('acme', 'flash')
    assert not diagnosis.found
    assert any("No module named 'acme_missing_module'" in r
               for r in diagnosis.reasons)


def test_two_distributions_with_one_name(tmp_path):
    make_distribution(str(tmp_path), 'acme-drivers', '3.1',
                      {'acme flash': GOOD})
    make_distribution(str(tmp_path), 'acme-fork', '0.1',
                      {'acme flash': GOOD.replace('Good', 'Minimal')})
    with on_sys_path(tmp_path):
        diagnosis = doctor.diagnose('acme', 'flash')
    assert not diagnosis.found
    assert {e.status for e in diagnosis.entries} == {doctor.DUPLICATE}
    assert any('refuses to choose' in r for r in diagnosis.reasons)


def test_stale_copy_hides_the_reinstalled_distribution(tmp_path):
    # The old version's metadata was left behind in a folder earlier on
    # sys.path: Python reads that copy only, so the new driver name is
    # invisible (Delfin issue #1023).
    old, new = tmp_path / 'old', tmp_path / 'new'
    make_distribution(str(old), 'acme-drivers', '1.0',
                      {'acme flash': GOOD})
    make_distribution(str(new), 'acme-drivers', '2.0',
                      {'acme flash': GOOD, 'acme hybrid': GOOD})
    with on_sys_path(old, new):
        entries = doctor.list_drivers()
        diagnosis = doctor.diagnose('acme', 'hybrid')
    hidden, = by_name(entries, 'acme hybrid')
    assert hidden.status == doctor.HIDDEN
    assert hidden.version == '2.0'
    flash, = by_name(entries, 'acme flash')
    assert flash.version == '1.0'
    assert any('declares other drivers and is ignored' in p
               for p in flash.problems)
    assert not diagnosis.found
    assert any('is declared by acme-drivers 2.0' in r and 'hidden' in r
               for r in diagnosis.reasons)


def test_metadata_of_deleted_files(tmp_path):
    make_distribution(str(tmp_path), 'acme-drivers', '3.1',
                      {'acme flash': GOOD},
                      files={'acme_gone/__init__.py': ''})
    (tmp_path / 'acme_gone' / '__init__.py').unlink()
    with on_sys_path(tmp_path):
        flash, = by_name(doctor.list_drivers(), 'acme flash')
    assert any('none of the 1 files listed in its RECORD exist' in p
               for p in flash.problems)


def test_editable_project_edited_but_not_reinstalled(tmp_path):
    project = tmp_path / 'project'
    project.mkdir()
    (project / 'pyproject.toml').write_text(
        '[project]\nname = "acme-drivers"\nversion = "3.1"\n'
        '[project.entry-points."delfin.storage.drivers"]\n'
        '"acme flash" = "%s"\n"acme hybrid" = "%s"\n' % (GOOD, GOOD))
    direct_url = json.dumps({'url': project.as_uri(),
                             'dir_info': {'editable': True}})
    site = tmp_path / 'site'
    make_distribution(str(site), 'acme-drivers', '3.1', {'acme flash': GOOD},
                      extra_metadata={'direct_url.json': direct_url})
    with on_sys_path(site):
        diagnosis = doctor.diagnose('acme', 'hybrid')
        flash, = by_name(doctor.list_drivers(), 'acme flash')
    assert not diagnosis.found
    assert any('declares "acme hybrid" but the installed metadata' in r
               and 'pip install -e' in r for r in diagnosis.reasons)
    assert any('acme hybrid' in p for p in flash.problems)


def test_editable_project_that_moved(tmp_path):
    direct_url = json.dumps({'url': (tmp_path / 'moved').as_uri(),
                             'dir_info': {'editable': True}})
    make_distribution(str(tmp_path), 'acme-drivers', '3.1',
                      {'acme flash': GOOD},
                      extra_metadata={'direct_url.json': direct_url})
    with on_sys_path(tmp_path):
        flash, = by_name(doctor.list_drivers(), 'acme flash')
    assert any('no longer exists' in p for p in flash.problems)


def test_stale_entry_point_cache(tmp_path):
    # A process that listed the entry points keeps that list; the
    # metadata rewritten afterwards (a reinstall) is not seen by stevedore.
    dist_info = make_distribution(str(tmp_path), 'acme-drivers', '3.1',
                                  {'acme flash': GOOD})
    with on_sys_path(tmp_path):
        assert by_name(doctor.list_drivers(), 'acme flash')[0].status == \
            doctor.OK
        with open(dist_info + '/entry_points.txt', 'w') as f:
            f.write('[delfin.storage.drivers]\nacme flash2 = %s\n' % GOOD)
        entries = doctor.list_drivers()
        diagnosis = doctor.diagnose('acme', 'flash2')
    old, = by_name(entries, 'acme flash')
    new, = by_name(entries, 'acme flash2')
    assert old.status == new.status == doctor.STALE_CACHE
    assert 'listed by stevedore but not by the installed metadata' in \
        old.error
    assert new.version == '3.1'
    assert not diagnosis.found
    assert any('entry point cache is stale' in r for r in diagnosis.reasons)
