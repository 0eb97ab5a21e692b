import numpy as np, srcgrad, sys
from srcgrad.compiler.frontend.inline import joint
from crossdefs_tmp import make, lvv
joint.MIN_OPERATIONS = int(sys.argv[1])
f = make(lvv)
print(srcgrad.source(srcgrad.grad(f, wrt=(0, 1))).split("\n\n\ndef")[0])
