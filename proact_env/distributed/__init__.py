"""Where independent shards of work run: in this process, in local processes, or on a Ray cluster.

`proact generate` (units = states) and `proact benchmark` (chunks of episodes)
hand their shards to the same `ShardExecutor`; because a shard's result depends
only on its own seeds, every backend yields the same results, and the callers
write them through the same writers. `config` holds the abstraction and its
settings, `executor` the local backends and the choice among them, `ray_backend` the Ray one (imported only when selected), and
`limiter` the cluster-wide bound on LLM requests in flight.
"""
