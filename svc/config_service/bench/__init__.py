"""The benchmark (pipenv run bench): the service under wrk, fan-out, batches, token cost, etcd beside it."""
