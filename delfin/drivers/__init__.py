"""Storage drivers: the contract a backend implements, and how it is loaded.

`driver.StorageDriver` is the contract, `manager` finds and builds drivers
through stevedore, `api.API` is the facade the API and the task workers call,
and `capabilities` tells which resource kinds and metrics a driver serves.
"""
