"""Performance telemetry: scheduled collection of the samples that
drivers offer, and their export.

* `plan`: what to ask a storage's driver for (its validated capabilities),
  how often, and how much history its backend keeps;
* `windows`: which window of time to ask for next, so that no window is
  lost while the backend still has it;
* `state`: the per-storage collection record in the database;
* `collector`: the task-node component that runs the collections of the
  storages the node owns, each in its own thread, cut off at a timeout;
* `batch`: a window's samples in columns, read from the driver's answer
  as it comes, and the per-series record of what was passed on;
* `exporters`: the plugins the samples go to (Prometheus exposition,
  the database for the API, Kafka, JSON lines), each behind its own
  bounded queue.
"""
