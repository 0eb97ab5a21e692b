"""The one :class:`~srcgrad.compiler.pipeline.Driver`: each API module
provides its transforms to it, and the pipeline hands it to the stages that
generate the derivative of another function (the compiler never imports the
API)."""

from srcgrad.compiler.pipeline import Driver

DRIVER = Driver()
