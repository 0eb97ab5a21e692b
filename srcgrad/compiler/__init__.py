"""The compiler: Python function in, Python function out.

``pipeline`` drives the stages in order; each stage is a folder::

    frontend/    parse → normalise (+ inline, comprehensions)          stages 1–2
    ir/          SSA form, names, dataflow, folding, printer           stage 3 + shared
    analysis/    resolution, activity, aliasing, shapes, refusals      stage 4
    transforms/  reverse and forward mode                              stage 5
    optimise/    dead code, copies, constants, outer products          stage 6
    emit.py      compile the printed source into a function            stage 7

Data flows one way: a stage imports only earlier stages and the shared
``ir``, ``rules``, ``runtime`` and ``errors`` (``tests/test_architecture.py``
checks it).  No stage imports the public API; the API hands the pipeline a
``Driver`` for derivatives of other functions.  docs/architecture.md is the map.
"""
