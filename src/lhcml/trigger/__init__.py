"""L1-trigger branch: a jet tagger on an FPGA (QKeras, hls4ml, conifer; docs/trigger.md)."""

#: Class names in the order of the network outputs (one definition for the library and
#: the rules; this module imports nothing heavy, so the Snakefile can read it).
CLASSES: tuple[str, ...] = ("gluon", "quark", "W", "Z", "top")
