"""A play session's rules and scoring, the control, eval, insight, fitting and model versions."""
