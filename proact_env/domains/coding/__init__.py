"""Coding tasks from MBPP, HumanEval and HumanEvalComm, graded by running their tests in the sandbox.

`tasks` (the task source and `CodingSpec`, which scores a solution through
`proact_env.grading`), `facts` (what the user keeps hidden: the function's name
and signature, examples), `mbpp` / `humaneval` (the data sets' loaders),
`states` (coding lines of a states file), `writer` and `mutations` (the
scripted assistant: the reference solution, a faulty variant or a guess),
`envs` (the registered env factories).
"""
