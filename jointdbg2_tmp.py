import sys, os, warnings, re, collections
os.environ["SRCGRAD_JOINT_OPERATIONS"] = "4"
import srcgrad
from srcgrad.compiler.analysis import callees
from tests.fuzz.gen import generate
from tests.fuzz.runner import load
warnings.simplefilter("ignore")
reasons = collections.Counter()
orig = callees.JointFallback.__init__
def init(self, fun, reason):
    reasons[reason] += 1
    orig(self, fun, reason)
callees.JointFallback.__init__ = init
hits = 0
for seed in range(4200000, 4200000 + int(sys.argv[1])):
    p = generate(seed)
    try:
        m = load(p.source)
        df = srcgrad.grad(m.f, wrt=p.wrt)
        if "def split_" in srcgrad.source(df): hits += 1
    except Exception as e:
        pass
print(hits, reasons.most_common())
