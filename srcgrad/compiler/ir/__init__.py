"""The compiler's shared representation and helpers: names and node
constructors, the SSA form, dataflow (liveness, statement walkers), template
folding, the printer, and the parameters of generated functions."""
