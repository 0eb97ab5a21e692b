import sys, os, warnings, re
os.environ["SRCGRAD_JOINT_OPERATIONS"] = "4"
import srcgrad
from tests.fuzz.gen import generate
from tests.fuzz.runner import load
p = generate(int(sys.argv[1]))
print(p.source.split("def h0")[1][:1500], p.wrt)
m = load(p.source)
df = srcgrad.grad(m.f, wrt=p.wrt)
print(srcgrad.source(df)[:3000])
