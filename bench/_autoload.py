"""Imported by toolwise.pth at interpreter start-up; acts only inside an lm_eval process."""

from toolwise.bench.lmeval_hooks import install

install()
