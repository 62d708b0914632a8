# A release laid out as Delfin's are, for the adoption tests: setup.py
# declares the driver entry points; this file is read, never run.
from setuptools import find_packages, setup

setup(
    name="delfin",
    version="9.1.0",
    license="Apache 2.0",
    packages=find_packages(exclude=("tests", "tests.*")),
    entry_points={
        'delfin.alert.exporters': [
            'example = delfin.exporter.example:AlertExporterExample',
        ],
        'delfin.storage.drivers': [
            'fake_storage fake_driver = '
            'delfin.drivers.fake_storage:FakeStorageDriver',
            'acme box = delfin.drivers.acme.box.driver:AcmeBoxDriver',
        ],
    },
)
