"""Networks, training, checkpoints, the numpy stepper, the pretrained prior."""
