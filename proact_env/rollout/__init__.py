"""Trajectory generation: mainline + branches from seed-format states (`proact generate`)."""
