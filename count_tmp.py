import gast
from srcgrad.compiler.frontend.parse import parse
from srcgrad.compiler.frontend.inline import joint
from srcgrad.compiler.ir.walk import walk as walk_tree
import crossdefs_tmp as c
from benchmarks.loop_workloads import lotka_volterra
for f in (lotka_volterra, c.lv, c.lv2, c.lv3, c.lvv):
    print(f.__name__, sum(isinstance(n, joint._OPERATIONS) for n in walk_tree(parse(f).tree)))
