"""Task domains: one package each, holding its task source, hidden facts, reference writer and checker.

- `synthetic`: seeded requests with hidden requirements; exactly solvable (`proact_env.solver`).
- `coding`: MBPP, HumanEval and HumanEvalComm problems graded in the sandbox (`proact_env.grading`).
- `planning`: trip and event plans whose hidden constraints a checker verifies.

`scripted` dispatches a request to the scripted writer of its task's domain;
`states` reads a states JSONL file whose lines may come from any domain.
Adding a domain means a package here plus its entries in `scripted.SCRIPTED_WRITERS`,
`states.STATE_LOADERS` and `proact_env.registration.ENV_IDS`.
"""
