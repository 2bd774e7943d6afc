"""A sweep: many training runs over a grid of settings, run on Ray, recorded in one manifest (DIR/sweep.json)."""
