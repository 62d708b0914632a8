"""The task side of the service: resource sync jobs, periodic sync and the
RPC endpoint through which the other components hand work to it."""
