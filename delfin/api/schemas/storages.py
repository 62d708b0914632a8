"""Schema of a storage registration (POST /v1/storages)."""
import copy

from delfin.api.schemas import access_info
from delfin.api.validation import parameter_types as types

create = {
    'type': 'object',
    'properties': dict(
        access_info.sections(),
        vendor=types.name,
        model=types.name,
        storage_name=types.name,
        extra_attributes=copy.deepcopy(types.extra_attributes)),
    'required': ['vendor', 'model'],
    'anyOf': access_info.ANY_SECTION,
    'additionalProperties': False,
}
