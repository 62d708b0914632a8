"""The conformance report as written for a pull request."""
import json

from delfin.sdk import report as rpt
from delfin.sdk import validation


def _report():
    report = rpt.Report(driver={'name': 'acme flash', 'version': '1.2'},
                        environment={'python': '3.11'},
                        options={'perf_window_s': 60},
                        started_at='t0', finished_at='t1')
    ok = rpt.InterfaceResult('get_storage', duration_ms=1.23456,
                             counts={'storage': 1})
    bad = rpt.InterfaceResult('list_ports', duration_ms=2.0,
                              counts={'port': 3})
    bad.add([
        validation.Violation('list_ports[2].type', validation.ENUM,
                             "'FC|x' is not one of fc"),
        validation.Violation('list_ports[*].native_parent_id',
                             validation.REFERENCE, 'not verified',
                             validation.WARNING)])
    unsupported = rpt.InterfaceResult('list_disks', status=rpt.UNSUPPORTED,
                                      note='not implemented')
    report.interfaces = [ok.settle(), bad.settle(), unsupported.settle()]
    return report


def test_status_follows_violations_and_errors():
    report = _report()
    assert [i.status for i in report.interfaces] == [
        rpt.PASSED, rpt.FAILED, rpt.UNSUPPORTED]
    assert not report.passed
    errored = rpt.InterfaceResult('x', error='boom').settle()
    assert errored.status == rpt.ERROR
    warned = rpt.InterfaceResult('y')
    warned.add([validation.Violation('y', 'c', 'm', validation.WARNING)])
    assert warned.settle().status == rpt.PASSED


def test_json_and_markdown_carry_the_same_facts(tmp_path):
    report = _report()
    md_path, json_path = report.write(str(tmp_path / 'out'))
    assert md_path.endswith('conformance-acme-flash.md')
    data = json.loads(open(json_path).read())
    assert data['summary'] == {
        'result': 'failed',
        'interfaces': {'passed': 1, 'failed': 1, 'error': 0,
                       'unsupported': 1, 'skipped': 0},
        'violations': 1, 'warnings': 1, 'duration_ms': 3.235}
    ports = data['interfaces'][1]
    assert ports['violations'][0]['path'] == 'list_ports[2].type'
    text = open(md_path).read()
    assert '**Result: FAILED**' in text
    assert "- error `list_ports[2].type` [enum] 'FC|x' is not one of fc" \
        in text
    assert '- warning `list_ports[*].native_parent_id`' in text
    assert '| `list_ports` | **FAILED** | 2.0 | port: 3 | 1 |' in text
    assert '| `list_disks` | unsupported |  |  | 0 | not implemented |' in \
        text


def test_long_violation_lists_are_cut_in_markdown():
    report = _report()
    many = rpt.InterfaceResult('list_volumes')
    many.add([validation.Violation('v[%d]' % i, 'type', 'bad')
              for i in range(rpt.MARKDOWN_VIOLATION_LIMIT + 7)])
    report.interfaces.append(many.settle())
    text = report.to_markdown()
    assert '... 7 more in the JSON report' in text
    assert len(json.loads(report.to_json())['interfaces'][-1][
        'violations']) == rpt.MARKDOWN_VIOLATION_LIMIT + 7
