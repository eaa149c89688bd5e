"""A person in the loop: play either side of an episode, browse runs, fit personas to people's replies.

`session` runs an episode with a person on one side (the terminal in
`terminal`, the web page in `web`), `log` appends each turn as a seed-format
trajectory line with ``source: "human"``, `browse` reads trajectories and
benchmark results for the page, and `fit` estimates persona parameters from
human replies under the simulator's own reaction model.
"""
