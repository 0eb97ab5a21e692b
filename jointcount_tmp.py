import sys, os, warnings
os.environ["SRCGRAD_JOINT_OPERATIONS"] = "4"
import srcgrad
from tests.fuzz.gen import generate
from tests.fuzz.runner import load
warnings.simplefilter("ignore")
hits = tried = 0
for seed in range(4200000, 4200000 + int(sys.argv[1])):
    p = generate(seed)
    try:
        m = load(p.source)
        df = srcgrad.grad(m.f, wrt=p.wrt)
        tried += 1
        if "def split_" in srcgrad.source(df):
            hits += 1
    except Exception as e:
        pass
print("joint in", hits, "of", tried)
