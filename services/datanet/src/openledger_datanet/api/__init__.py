"""gRPC edge: servicers translating proto messages to domain calls and back, nothing else."""
