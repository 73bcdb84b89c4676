"""toolwise subpackage."""
