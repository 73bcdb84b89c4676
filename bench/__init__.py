"""The harness: contracts, conversation loop, backends, scoring, lm-eval glue, CLI."""
