"""Delfin's exceptions keep their codes, parents and message formats."""
from delfin import exception


def test_message_is_formatted_with_positional_arguments():
    e = exception.StorageNotFound('abc')
    assert e.msg == 'Storage abc could not be found.'
    assert str(e) == e.msg
    assert e.code == 404
    assert e.error_code == 'StorageNotFound'
    assert e.error_args == ('abc',)


def test_missing_argument_keeps_the_raw_format():
    assert exception.InvalidResults().msg == 'The results are invalid. {0}'


def test_explicit_message_wins():
    e = exception.StorageBackendException(message='device says no')
    assert e.msg == 'device says no'


def test_codes_and_hierarchy_drivers_rely_on():
    assert issubclass(exception.StorageIsSyncing, exception.Invalid)
    assert issubclass(exception.SNMPConnectionFailed, exception.BadRequest)
    assert exception.BadResponse.code == 500
    assert issubclass(exception.BadResponse, exception.Invalid)
    assert exception.SSHNotFoundKnownHosts.code == 400
    assert issubclass(exception.SSHNotFoundKnownHosts, exception.NotFound)
    assert exception.InvalidUsernameOrPassword.code == 400
    assert exception.StorageCapabilityNotSupported.code == 501
    assert exception.StorageBackendException('x.').msg == \
        'Exception from Storage Backend: x..'
    assert exception.StorageDriverNotFound('a b').msg == \
        "Storage driver 'a b'could not be found."
