"""Delfin's exceptions.

Every error the service reports to a client is a `DelfinException`: its class
name is the ``error_code`` of the API error body, ``code`` is the HTTP status,
and the message is ``msg_fmt`` formatted with the positional arguments
(``str.format`` with ``{0}`` placeholders).  Drivers raise and catch these by
name, so names, parents, codes and message formats are part of the driver
contract.
"""
from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class DelfinException(Exception):
    """Base of every Delfin error."""
    msg_fmt = "An unknown exception occurred."
    code = 500

    def __init__(self, *args, **kwargs):
        self.error_args = args
        message = kwargs.get('message')
        if message is not None:
            text = str(message)
        else:
            try:
                text = self.msg_fmt.format(*args)
            except (IndexError, KeyError, ValueError):
                LOG.warning("Failed to format message of %s",
                            type(self).__name__)
                text = self.msg_fmt
        self.msg = text
        super().__init__(text)

    @property
    def error_code(self):
        return type(self).__name__

    def __str__(self):
        return self.msg


class NotAuthorized(DelfinException):
    msg_fmt = "Not authorized."
    code = 403


class Invalid(DelfinException):
    msg_fmt = "Unacceptable parameters."
    code = 400


class ServiceUnavailable(DelfinException):
    """A component the service needs (the database, say) is away; the
    request may be repeated after ``retry_after`` seconds."""
    msg_fmt = "The {0} is unavailable; try again later."
    code = 503
    retry_after = 5


class BadRequest(Invalid):
    msg_fmt = ('The server could not comply with the request since\r\n'
               'it is either malformed or otherwise incorrect.\r\n')


class MalformedRequestBody(Invalid):
    msg_fmt = "Malformed request body: {0}."


class MalformedRequestUrl(Invalid):
    msg_fmt = "Malformed request url."


class InvalidCredential(Invalid):
    msg_fmt = "The credentials are invalid."


class InvalidResults(Invalid):
    msg_fmt = "The results are invalid. {0}"


class InvalidInput(Invalid):
    msg_fmt = "Invalid input received. {0}"


class InvalidName(Invalid):
    msg_fmt = "An invalid 'name' value was provided. {0}"


class InvalidContentType(Invalid):
    msg_fmt = "Invalid content type: {0}."


class StorageSerialNumberMismatch(Invalid):
    msg_fmt = "Storage serial number mismatch. {0}"


class StorageAlreadyExists(Invalid):
    msg_fmt = "Storage already exists."


class InvalidSNMPConfig(Invalid):
    msg_fmt = "Invalid SNMP configuration: {0}"


class SSLCertificateFailed(Invalid):
    msg_fmt = "SSL Certificate Failed."


class SSLHandshakeFailed(Invalid):
    msg_fmt = "SSL handshake failure."


class StorageIsSyncing(Invalid):
    msg_fmt = "Storage {0} is syncing now, please try again later."


class SNMPConnectionFailed(BadRequest):
    msg_fmt = "Connection to SNMP server failed: {0}"


class BadResponse(Invalid):
    msg_fmt = 'Bad response from server'
    code = 500


class InvalidStorageCapability(Invalid):
    msg_fmt = "Invalid capability response: {0}"
    code = 500


class StorageDriverIncomplete(DelfinException):
    """A driver class that leaves abstract methods of the contract out:
    it is refused when it is loaded, naming them."""
    msg_fmt = ("Storage driver '{0}' ({1}) does not implement the abstract "
               "method(s) of the driver contract: {2}.")
    code = 500


class InvalidUsernameOrPassword(DelfinException):
    msg_fmt = "Invalid username or password."
    code = 400


class InvalidPrivateKey(DelfinException):
    msg_fmt = "not a valid RSA private key."
    code = 400


class InvalidIpOrPort(DelfinException):
    msg_fmt = "Invalid ip or port."
    code = 400


class NotFound(DelfinException):
    msg_fmt = "Resource could not be found."
    code = 404


class NoSuchAction(NotFound):
    msg_fmt = "There is no such action: {0}"


class AccessInfoNotFound(NotFound):
    msg_fmt = "Access information for storage {0} could not be found."


class AlertSourceNotFound(NotFound):
    msg_fmt = "Alert source for storage {0} could not be found."


class AlertSourceNotFoundWithHost(NotFound):
    msg_fmt = "Alert source could not be found with host {0}."


class StorageNotFound(NotFound):
    msg_fmt = "Storage {0} could not be found."


class StorageBackendNotFound(NotFound):
    msg_fmt = "Storage backend could not be found."


class StoragePoolNotFound(NotFound):
    msg_fmt = "Storage pool {0} could not be found."


class VolumeNotFound(NotFound):
    msg_fmt = "Volume {0} could not be found."


class StorageHostInitiatorNotFound(NotFound):
    msg_fmt = "Storage host initiator {0} could not be found."


class StorageHostNotFound(NotFound):
    msg_fmt = "Storage host {0} could not be found."


class StorageHostGroupNotFound(NotFound):
    msg_fmt = "Storage host group {0} could not be found."


class PortGroupNotFound(NotFound):
    msg_fmt = "Port group {0} could not be found."


class VolumeGroupNotFound(NotFound):
    msg_fmt = "Volume group {0} could not be found."


class MaskingViewNotFound(NotFound):
    msg_fmt = "Masking View {0} could not be found."


class StorageHostGrpHostRelNotFound(NotFound):
    msg_fmt = "Storage Host Group Host Relation {0} could not be found."


class PortGrpPortRelNotFound(NotFound):
    msg_fmt = "Port Group Port Relation {0} could not be found."


class VolGrpVolRelationNotFound(NotFound):
    msg_fmt = "Volume Group Volume Relation {0} could not be found."


class ControllerNotFound(NotFound):
    msg_fmt = "Controller {0} could not be found."


class ControllerListNotFound(NotFound):
    msg_fmt = "Controller List for {0} could not be found."


class PortNotFound(NotFound):
    msg_fmt = "Port {0} could not be found."


class PortListNotFound(NotFound):
    msg_fmt = "Port List for {0} could not be found."


class DiskNotFound(NotFound):
    msg_fmt = "Disk {0} could not be found."


class FilesystemNotFound(NotFound):
    msg_fmt = "Filesystem {0} could not be found."


class QtreeNotFound(NotFound):
    msg_fmt = "Qtree {0} could not be found."


class QuotaNotFound(NotFound):
    msg_fmt = "Quota {0} could not be found."


class ShareNotFound(NotFound):
    msg_fmt = "Share {0} could not be found."


class StorageDriverNotFound(NotFound):
    msg_fmt = "Storage driver '{0}'could not be found."


class TaskNotFound(NotFound):
    msg_fmt = "Task {0} could not be found."


class FailedTaskNotFound(NotFound):
    msg_fmt = "Failed task {0} could not be found."


class ConfigNotFound(NotFound):
    msg_fmt = "Could not find config at {0}."


class PasteAppNotFound(NotFound):
    msg_fmt = "Could not load paste app '{0}' from {1}."


class ComponentNotFound(NotFound):
    msg_fmt = "Component {0} could not be found."


class SyncJobNotFound(NotFound):
    msg_fmt = "Sync job {0} could not be found."


class AlertNotFound(NotFound):
    msg_fmt = "Alert {0} could not be found."


class SSHNotFoundKnownHosts(NotFound):
    msg_fmt = "{0} not found in known_hosts."
    code = 400


class StorageBackendException(DelfinException):
    msg_fmt = "Exception from Storage Backend: {0}."


class SSHException(DelfinException):
    msg_fmt = "Exception in SSH protocol negotiation or logic. {0}"


class SSHInjectionThreat(DelfinException):
    msg_fmt = "SSH command injection detected: {0}."


class LockCreationFailed(DelfinException):
    msg_fmt = "Unable to create lock. Coordination backend not started."


class LockAcquisitionFailed(DelfinException):
    msg_fmt = "Lock acquisition failed."


class DuplicateExtension(DelfinException):
    msg_fmt = 'Found duplicate extension: {0}.'


class ImproperIPVersion(DelfinException):
    msg_fmt = "Provided improper IP version {0}."


class ConnectTimeout(DelfinException):
    msg_fmt = "Connect timeout."


class SSHConnectTimeout(DelfinException):
    msg_fmt = "SSH connect timeout."


class StorageClearAlertFailed(DelfinException):
    msg_fmt = "Failed to clear alert. Reason: {0}."


class StorageListAlertFailed(DelfinException):
    msg_fmt = "Failed to list alerts. Reason: {0}."


class HTTPConnectionTimeout(DelfinException):
    msg_fmt = "HTTP connection timeout: {0}."


class InvalidCAPath(DelfinException):
    msg_fmt = "Invalid CA path: {0}."


class StoragePerformanceCollectionFailed(DelfinException):
    msg_fmt = "Failed to collect performance metrics. Reason: {0}."


class TelemetryTaskExecError(DelfinException):
    msg_fmt = "Failure happened in telemetry task execution."


class IncompleteTrapInformation(DelfinException):
    msg_fmt = ("Incomplete trap information."
               "Storage {0} alert information needs to be synchronized.")


class StorageMaxUserCountException(DelfinException):
    msg_fmt = ("Exceeded the maximum number of users allowed to log in "
               "at the same time: {0}.")


class StorageCapabilityNotSupported(DelfinException):
    msg_fmt = "Capability feature not supported by storage."
    code = 501


class EmptyResourceMetrics(DelfinException):
    msg_fmt = "Empty resource metric in capabilities."
    code = 501


class DriverNotSupported(DelfinException):
    """A driver does not implement an optional interface.

    Raised by the core (never by drivers) when a caller asks for something
    the storage's driver does not support.
    """
    msg_fmt = "Driver does not support {0}."
    code = 501
